/**
 * SPDY/3.1 as Kubernetes' streaming protocols use it (Go's spdystream), on
 * spdy-transport, with two shims for what spdystream does differently from a
 * web server: its streams carry only Kubernetes' own headers (no `:method`,
 * `:path` or `:status`), and it neither sends nor honours WINDOW_UPDATE.
 * Used both ways: the kubelet serves kubectl's port-forward sessions, and
 * dials containerd's streaming server for exec, attach and port-forward.
 */
import { request as httpRequest } from "node:http";
import type { Duplex } from "node:stream";
import spdy from "spdy-transport";
import type { SpdyConnection, SpdyStream } from "spdy-transport";

/**
 * spdy-transport treats every stream as an HTTP exchange: a SYN_STREAM needs
 * `:method` and `:path`, a SYN_REPLY `:status`. This session's parser fills
 * them in before those checks.
 */
function acceptBareHeaders(session: object, isServer: boolean): void {
  type Kvs = (buffer: unknown, callback: (err: Error | null, headers?: Record<string, string>) => void) => void;
  const parser = (session as { _spdyState?: { parser?: { parseKVs?: Kvs } } })._spdyState?.parser;
  const parseKVs = parser?.parseKVs;
  if (!parser || !parseKVs) throw new Error("spdy-transport changed: its parser is not where the SPDY shims expect it");
  parser.parseKVs = function (buffer, callback) {
    parseKVs.call(this, buffer, (err, headers) => {
      if (!err && headers) {
        if (isServer && headers.streamtype !== undefined) {
          headers[":method"] ??= "POST";
          headers[":path"] ??= "/";
        }
        if (!isServer) headers[":status"] ??= "200";
      }
      callback(err, headers);
    });
  };
}

/**
 * spdystream never sends WINDOW_UPDATE, and does not enforce windows either,
 * so a sender that honours the 64 KiB initial window stalls after it: this
 * session's streams get the largest send window.
 */
function sendWithoutFlowControl(session: object): void {
  interface Side { setMax(n: number): void; updateMax(n: number): void }
  const state = (session as { _spdyState?: { streamWindow?: { send?: Side }; window?: { send?: Side } } })._spdyState;
  if (!state?.streamWindow?.send || !state.window?.send) throw new Error("spdy-transport changed: its flow-control windows are not where the SPDY shims expect them");
  const largest = 2 ** 31 - 1;
  state.streamWindow.send.setMax(largest);
  state.window.send.updateMax(largest);
}

/** A SPDY session over a byte stream, as spdystream speaks it. */
export function spdySession(socket: Duplex, isServer: boolean): SpdyConnection {
  const session = spdy.connection.create(socket, { protocol: "spdy", isServer });
  acceptBareHeaders(session, isServer);
  sendWithoutFlowControl(session);
  if (!isServer) session.start(3.1);
  return session;
}

/**
 * Dials a streaming URL of the runtime (from CRI Exec, Attach or
 * PortForward): an HTTP/1.1 upgrade to SPDY/3.1 naming the subprotocol.
 */
export function dialSpdy(url: string, protocol: string): Promise<SpdyConnection> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": protocol },
    });
    req.once("upgrade", (res, socket, head) => {
      if (res.headers["x-stream-protocol-version"] && res.headers["x-stream-protocol-version"] !== protocol) {
        socket.destroy();
        return reject(new Error(`the runtime answered with protocol ${res.headers["x-stream-protocol-version"]}, not ${protocol}`));
      }
      if (head.length) socket.unshift(head);
      resolve(spdySession(socket, false));
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

/** Opens one stream of a session, with Kubernetes' headers, once the other side has taken it. */
export function openStream(session: SpdyConnection, headers: Record<string, string>): Promise<SpdyStream> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ method: "POST", path: "/", headers }, (err) => { if (err) reject(err); });
    stream.once("response", () => resolve(stream));
    stream.once("error", reject);
  });
}
