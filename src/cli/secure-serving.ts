/**
 * The secure port a component serves /metrics and health on when it runs
 * alone (`skiff scheduler` on 10259, `skiff controller-manager` on 10257), as
 * upstream's components do: HTTPS with a self-signed certificate made at
 * start, requests authenticated by a client certificate from the cluster CA
 * or a bearer token (a TokenReview), and authorized by a SubjectAccessReview
 * of `get` on the path, so /metrics needs what it needs on the API server
 * (system:monitoring, or a ClusterRole with nonResourceURLs ["/metrics"]).
 * Health paths are open to all, as upstream's always-allowed paths.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Client } from "../client/index.js";
import { selfSignedCertificate } from "../pki/index.js";
import { processRegistry, serveMetrics, type Registry } from "../metrics/index.js";

interface User { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export interface SecureServingOptions {
  component: string;
  client: Client;
  /** The CA that client certificates must chain to: the cluster CA. */
  clientCa?: string;
  bindAddress: string;
  port: number;
  registry: Registry;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

const HEALTH_PATHS = new Set(["/healthz", "/livez", "/readyz"]);

export class SecureServing {
  private server?: Server;

  constructor(private readonly options: SecureServingOptions) {}

  /** Listens; resolves with the port. */
  async start(): Promise<number> {
    const { cert, key } = await selfSignedCertificate(`${this.options.component}@${Math.floor(Date.now() / 1000)}`, ["localhost"]);
    this.server = createServer({ cert, key, ca: this.options.clientCa, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      this.serve(req, res).catch((err) => {
        this.options.log("request failed", { path: req.url, err: String((err as Error).message ?? err) });
        if (!res.headersSent) text(res, 500, "Internal Server Error");
        else res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.options.port, this.options.bindAddress, () => resolve());
    });
    const port = (this.server.address() as AddressInfo).port;
    this.options.log("serving securely", { address: `${this.options.bindAddress}:${port}` });
    return port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "https://component").pathname;
    if (HEALTH_PATHS.has(path)) return text(res, 200, "ok");
    const user = await this.authenticate(req);
    if (!user) return status(res, 401, "Unauthorized", "Unauthorized");
    const verb = (req.method ?? "GET").toLowerCase();
    if (!(await this.authorize(user, verb, path))) return status(res, 403, "Forbidden", `forbidden: User "${user.username}" cannot ${verb} path "${path}"`);
    if (path === "/metrics" && req.method === "GET") return serveMetrics(res, [processRegistry(), this.options.registry]);
    text(res, 404, "404 page not found");
  }

  /** A verified client certificate (CN the user, O the groups), else a bearer token the API server knows. */
  private async authenticate(req: IncomingMessage): Promise<User | undefined> {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate().subject;
      const groups = subject?.O === undefined ? [] : ([] as string[]).concat(subject.O);
      if (subject?.CN) return { username: String(subject.CN), groups };
    }
    const auth = req.headers.authorization ?? "";
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!token) return undefined;
    const review = await this.options.client.request<{ status?: { authenticated?: boolean; user?: User } }>("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token },
    });
    const u = review.status?.authenticated ? review.status.user : undefined;
    return u ? { ...u, groups: u.groups ?? [] } : undefined;
  }

  private async authorize(user: User, verb: string, path: string): Promise<boolean> {
    const review = await this.options.client.request<{ status?: { allowed?: boolean } }>("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
      spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
    });
    return review.status?.allowed === true;
  }
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

/** A Status body, as upstream's filters answer 401 and 403. */
function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
}
