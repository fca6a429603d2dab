/**
 * A proxied upgrade (a WebSocket, say), as upstream's UpgradeAwareHandler
 * dials it: the request head written to the backend as it came (less the
 * client's credentials), then the two connections spliced, so that the
 * backend's answer, 101 or not, reaches the client byte for byte.
 */
import type { IncomingMessage } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { refuseUpgrade } from "../../api/upgrade-refusal.js";
import { DIAL_TIMEOUT_MS, dialFailure, type Exchange } from "./forward.js";
import { backendRequestHeaders } from "./headers.js";
import { authorityOf } from "./location.js";

export function spliceUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, x: Exchange): void {
  const { host, port, scheme } = x.location;
  const backend: Socket = scheme === "https"
    ? tlsConnect({ host, port: port ?? 443, ...x.tls })
    : netConnect({ host, port: port ?? 80 });
  let connected = false;
  const timer = setTimeout(() => backend.destroy(Object.assign(new Error("i/o timeout"), { code: "ETIMEDOUT" })), DIAL_TIMEOUT_MS);
  backend.once(scheme === "https" ? "secureConnect" : "connect", () => {
    connected = true;
    clearTimeout(timer);
    const headers = backendRequestHeaders(req.rawHeaders, { host: req.headers.host, clientIP: req.socket.remoteAddress?.replace(/^::ffff:/, ""), upgrade: true });
    const lines = [`${req.method} ${x.path || "/"}${x.rawQuery ? `?${x.rawQuery}` : ""} HTTP/1.1`];
    for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
    backend.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) backend.write(head);
    backend.pipe(socket);
    socket.pipe(backend);
  });
  backend.once("error", (err) => {
    clearTimeout(timer);
    if (connected) socket.destroy();
    else {
      const e = dialFailure(err, authorityOf(x.location));
      refuseUpgrade(socket, e.code, JSON.stringify(e.toStatus()), "application/json");
    }
  });
  socket.once("error", () => backend.destroy());
  socket.once("close", () => backend.destroy());
  backend.once("close", () => { if (connected) socket.destroy(); });
}
