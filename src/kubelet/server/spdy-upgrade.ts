/**
 * SPDY/3.1 as Kubernetes' streaming protocols reach it: an HTTP/1.1 upgrade
 * (`Connection: Upgrade`, `Upgrade: SPDY/3.1`) whose subprotocol is
 * negotiated in `X-Stream-Protocol-Version` (upstream's httpstream.Handshake),
 * then a session with Go's spdystream on the other side, which keeps no flow
 * control (see spdy/session.ts). Both ways: the kubelet serves kubectl's
 * sessions (through the API server), and dials containerd's streaming server.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { SpdySession, type SpdyHeaders, type SpdyStream } from "./spdy/session.js";

export const PROTOCOL_HEADER = "X-Stream-Protocol-Version";
export const ACCEPTED_PROTOCOLS_HEADER = "X-Accepted-Stream-Protocol-Versions";

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return /\bupgrade\b/i.test(String(req.headers.connection ?? "")) && /^spdy\/3\.1$/i.test(String(req.headers.upgrade ?? "").trim());
}

/** The client's subprotocols, in its order of preference (several header lines, or commas). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers[PROTOCOL_HEADER.toLowerCase()];
  return (Array.isArray(raw) ? raw : [raw ?? ""]).flatMap((v) => v.split(",")).map((p) => p.trim()).filter(Boolean);
}

export type Negotiation =
  | { protocol: string }
  | { refusal: { code: number; message: string; headers: Record<string, string> } };

/** The first of the client's protocols that this server speaks, or the refusal upstream gives. */
export function negotiate(req: IncomingMessage, supported: readonly string[]): Negotiation {
  const offered = offeredProtocols(req);
  if (!offered.length) return { refusal: { code: 400, message: `unable to upgrade: ${PROTOCOL_HEADER} is required`, headers: {} } };
  const protocol = offered.find((p) => supported.includes(p));
  if (protocol) return { protocol };
  return {
    refusal: {
      code: 403,
      message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(" ")}], server accepts [${supported.join(" ")}]`,
      headers: { [ACCEPTED_PROTOCOLS_HEADER]: supported.join(", ") },
    },
  };
}

/** Answers the upgrade (101) and starts the server's session on the connection. */
export function acceptSpdy(socket: Duplex, head: Buffer, protocol: string): SpdySession {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${PROTOCOL_HEADER}: ${protocol}\r\n\r\n`);
  const session = new SpdySession(socket, { isServer: true, flowControl: false });
  if (head.length) socket.unshift(head);
  return session;
}

/**
 * Dials a streaming URL of the runtime (from CRI Exec, Attach or
 * PortForward): an HTTP/1.1 upgrade to SPDY/3.1 naming the subprotocol.
 */
export function dialSpdy(url: string, protocol: string): Promise<SpdySession> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", [PROTOCOL_HEADER]: protocol },
    });
    req.once("upgrade", (res, socket, head) => {
      const answered = res.headers[PROTOCOL_HEADER.toLowerCase()];
      if (answered && answered !== protocol) {
        socket.destroy();
        return reject(new Error(`the runtime answered with protocol ${String(answered)}, not ${protocol}`));
      }
      const session = new SpdySession(socket, { isServer: false, flowControl: false });
      if (head.length) socket.unshift(head);
      resolve(session);
    });
    req.once("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => reject(new Error(`the runtime refused the stream (${res.statusCode}): ${body.trim()}`)));
    });
    req.once("error", reject);
    req.end();
  });
}

/** Opens one stream of a session with Kubernetes' headers; resolves once the other side has taken it. */
export function openStream(session: SpdySession, headers: SpdyHeaders): Promise<SpdyStream> {
  return session.open(headers);
}
