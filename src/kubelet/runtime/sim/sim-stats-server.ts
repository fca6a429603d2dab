/**
 * The simulated nodes' kubelet endpoint: one HTTPS server on loopback for
 * all of them, answering `/stats/summary` (and `/healthz`) for the node the
 * caller names as its TLS server name, as the API server does when it dials
 * a node's kubelet. Callers must show a certificate from the cluster CA, as
 * for a real kubelet. Nothing else is served: simulated nodes run nothing.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Summary } from "../../stats/summary.js";

export interface SimStatsTls { caCert: string; serverCert: string; serverKey: string }

export class SimStatsServer {
  private server?: Server;
  port = 0;

  constructor(private readonly tls: SimStatsTls, private readonly summary: (node: string) => Summary | undefined) {}

  async start(host = "127.0.0.1"): Promise<number> {
    this.server = createServer({ cert: this.tls.serverCert, key: this.tls.serverKey, ca: this.tls.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const url = new URL(req.url ?? "/", "https://sim");
      const node = (req.socket as TLSSocket).servername || "";
      const text = (code: number, body: string) => { res.writeHead(code, { "content-type": "text/plain" }); res.end(body); };
      if (url.pathname === "/healthz") return text(200, "ok");
      if (url.pathname !== "/stats/summary" || req.method !== "GET") return text(404, `simulated node ${JSON.stringify(node)} serves only /stats/summary: it runs no containers`);
      const summary = this.summary(node);
      if (!summary) return text(404, `no simulated node ${JSON.stringify(node)} here`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(summary));
    });
    await new Promise<void>((resolve, reject) => { this.server!.once("error", reject); this.server!.listen(0, host, () => resolve()); });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
