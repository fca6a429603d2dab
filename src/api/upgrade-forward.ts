/**
 * Passes an HTTP upgrade request on to the server that will serve it, as it
 * came (its method and headers, to the given path), then splices the two
 * connections: that server answers the client itself, with its 101 and
 * protocol, or with its refusal. Upstream's upgrade-aware proxy does this for
 * SPDY exec, attach and port-forward (the API server to the kubelet, the
 * kubelet to the runtime's streaming server).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** What the next hop must not see: this hop's credentials, and who the client asked to be. */
const DROPPED = /^(host|authorization|proxy-authorization|impersonate-.*)$/i;

export function forwardUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, upstream: Duplex, path: string, host: string): void {
  const lines = [`${req.method ?? "GET"} ${path} HTTP/1.1`, `Host: ${host}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (DROPPED.test(req.rawHeaders[i]!)) continue;
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  upstream.write(lines.join("\r\n") + "\r\n\r\n");
  if (head.length) upstream.write(head);
  splice(client, upstream);
}

/**
 * Joins two connections both ways. An end (FIN) passes on as an end, so that
 * what was written before it still arrives; an abrupt close or an error
 * closes the other side at once.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const abort = (from: Duplex, to: Duplex) => () => { if (!from.readableEnded) to.destroy(); };
  a.once("close", abort(a, b));
  b.once("close", abort(b, a));
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
}
