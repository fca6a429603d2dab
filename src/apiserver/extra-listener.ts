/**
 * Serves a TLS server on one more address: a plain TCP listener hands each
 * connection to the server, which does the handshake and serves it as any
 * other. For an address that exists only after the server started (the pod
 * network's gateway, once the node's bridge is up).
 */
import { createServer, type Server } from "node:net";
import type { Server as TlsServer } from "node:tls";

export async function listenAlso(server: TlsServer, host: string, port: number): Promise<Server> {
  const extra = createServer((socket) => server.emit("connection", socket));
  await new Promise<void>((resolve, reject) => {
    extra.once("error", reject);
    extra.listen(port, host, () => { extra.off("error", reject); resolve(); });
  });
  return extra;
}
