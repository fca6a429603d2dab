/**
 * The kubelet's own HTTPS API, which the API server proxies `pods/log` and
 * `pods/exec` to (upstream's paths): `/containerLogs/{ns}/{pod}/{container}`
 * and `/run/{ns}/{pod}/{container}` for a command's output. Clients must show
 * a certificate from the cluster CA.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeLog } from "../logs/logs.js";
import type { Kubelet } from "../kubelet.js";
import { Labels, type Json } from "../types.js";
import { restartCountOf } from "../kuberuntime/runtime-manager.js";

export interface KubeletServerTls { caCert: string; serverCert: string; serverKey: string }

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { "content-type": "text/plain" });
  res.end(message);
}

export class KubeletServer {
  private server?: Server;
  port = 0;

  constructor(private readonly kubelet: Kubelet, private readonly tls: KubeletServerTls) {}

  async start(port: number, host = "0.0.0.0"): Promise<number> {
    this.server = createServer({ cert: this.tls.serverCert, key: this.tls.serverKey, ca: this.tls.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      this.serve(req, res).catch((err) => { if (!res.headersSent) fail(res, 500, String((err as Error).message ?? err)); else res.end(); });
    });
    await new Promise<void>((resolve, reject) => { this.server!.once("error", reject); this.server!.listen(port, host, () => resolve()); });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async container(ns: string, podName: string, containerName: string, previous: boolean) {
    const pod = this.kubelet.podByName(ns, podName);
    if (!pod) return { error: `pod "${podName}" not found` };
    const uid = String(pod.metadata.uid);
    const rt = await this.kubelet.manager.podStatus(uid);
    const mine = rt.containers.filter((c) => c.metadata.name === containerName);
    const spec = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].find((c: Json) => c.name === containerName);
    if (!spec) return { error: `container ${containerName} is not valid for pod ${podName}` };
    const c = previous ? mine[1] : mine[0];
    if (!c) {
      if (previous) return { error: `previous terminated container "${containerName}" in pod "${podName}" not found` };
      return { error: `container "${containerName}" in pod "${podName}" is waiting to start: ContainerCreating`, code: 400 };
    }
    return { pod, c, uid };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://kubelet");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (url.pathname === "/healthz") { res.writeHead(200, { "content-type": "text/plain" }); res.end("ok"); return; }
    if (parts[0] === "containerLogs" && parts.length === 4 && req.method === "GET") return this.logs(req, res, parts[1]!, parts[2]!, parts[3]!, url.searchParams);
    if (parts[0] === "run" && parts.length === 4 && req.method === "POST") return this.run(res, parts[1]!, parts[2]!, parts[3]!, url.searchParams);
    fail(res, 404, "404 page not found");
  }

  private async logs(req: IncomingMessage, res: ServerResponse, ns: string, podName: string, containerName: string, q: URLSearchParams): Promise<void> {
    const previous = q.get("previous") === "true";
    const found = await this.container(ns, podName, containerName, previous);
    if ("error" in found) return fail(res, found.code ?? 404, found.error!);
    const { c } = found;
    const since = q.get("sinceSeconds") ? Date.now() - Number(q.get("sinceSeconds")) * 1000 : q.get("sinceTime") ? Date.parse(q.get("sinceTime")!) : undefined;
    res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const abort = new AbortController();
    req.once("close", () => abort.abort());
    const stillRunning = async () => {
      const st = await this.kubelet.options.runtime.containerStatus(c.id).catch(() => null);
      return !st || st.state !== "CONTAINER_RUNNING";
    };
    await writeLog(c.logPath, res, {
      follow: q.get("follow") === "true" && !previous,
      tailLines: q.get("tailLines") !== null ? Number(q.get("tailLines")) : undefined,
      sinceTime: since,
      timestamps: q.get("timestamps") === "true",
      limitBytes: q.get("limitBytes") ? Number(q.get("limitBytes")) : undefined,
    }, stillRunning, abort.signal);
    res.end();
  }

  private async run(res: ServerResponse, ns: string, podName: string, containerName: string, q: URLSearchParams): Promise<void> {
    const found = await this.container(ns, podName, containerName, false);
    if ("error" in found) return fail(res, found.code ?? 404, found.error!);
    if (found.c.state !== "CONTAINER_RUNNING") return fail(res, 400, `container ${containerName} is not running`);
    const cmd = q.getAll("command");
    const r = await this.kubelet.options.runtime.execSync(found.c.id, cmd, Number(q.get("timeout") ?? 0));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ stdout: r.stdout.toString("base64"), stderr: r.stderr.toString("base64"), exitCode: r.exitCode, restartCount: restartCountOf(found.c), container: found.c.labels[Labels.containerName] }));
  }
}
