/**
 * The kubelet's own HTTPS API, which the API server proxies `pods/log`,
 * `pods/exec` and `pods/attach` to (upstream's paths):
 * `/containerLogs/{ns}/{pod}/{container}`, `/exec/...` and `/attach/...` over
 * WebSocket, `/stats/summary` for resource metrics, `/metrics`, `/metrics/cadvisor`,
 * `/metrics/resource` and `/metrics/probes`, `/pods` and `/healthz`. Clients must show a certificate from the cluster CA.
 */
import { createServer, type Server } from "node:https";
import type { Duplex } from "node:stream";
import { connect } from "node:net";
import { WebSocketServer, createWebSocketStream } from "ws";
import { PORT_FORWARD_PROTOCOL, pickExecProtocol } from "../../api/exec-streams.js";
import { openRuntimeExec, openRuntimePortForward, relaySpdyToProcess, relayToProcess, relayToRuntime } from "./runtime-streams.js";
import { refuseUpgrade } from "../../api/upgrade-refusal.js";
import { forwardUpgrade } from "../../api/upgrade-forward.js";
import { dialAddress, PORT_FORWARD_SPDY_PROTOCOL, servePortForward, type PortDialer } from "./port-forward.js";
import { acceptRemoteCommand, SPDY_REMOTE_COMMAND_PROTOCOLS, type StreamOptions } from "./remote-command-spdy.js";
import { acceptSpdy, isSpdyUpgrade, negotiate } from "./spdy-upgrade.js";
import { SpdySession } from "./spdy/session.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { writeLog } from "../logs/logs.js";
import type { Kubelet } from "../kubelet.js";
import type { Pod } from "../types.js";
import type { Container } from "kubernetes-types/core/v1.js";
import { requestPath, type KubeletAuth } from "./auth/index.js";
import { processRegistry, renderConstFamilies, serveExposition, serveMetrics, type Registry } from "../../metrics/index.js";
import { resourceMetricsOf } from "../stats/resource-metrics.js";
import { cadvisorMetrics } from "../stats/cadvisor-metrics.js";
import { cadvisorContainersOf } from "../stats/cadvisor-collector.js";

export interface KubeletServerTls { caCert: string; serverCert: string; serverKey: string }

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
  res.end(message);
}

/** The path's segments, percent-decoded; none for a path that does not decode (so it matches no route: a 404). */
function segments(path: string): string[] {
  try { return path.split("/").filter(Boolean).map(decodeURIComponent); } catch { return []; }
}

export class KubeletServer {
  private server?: Server;
  port = 0;
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: pickExecProtocol });

  private readonly portForwards = new WeakSet<IncomingMessage>();
  /** Every connection, upgraded ones included, so that stop() can end them all. */
  private readonly sockets = new Set<Socket>();

  /**
   * `metricsAlso`: further registries its /metrics serves, the node's other components' (the Service
   * proxy's and the cluster DNS's), which have no port of their own.
   */
  constructor(private readonly kubelet: Kubelet, private readonly tls: KubeletServerTls, private readonly auth: KubeletAuth,
    private readonly metricsAlso: () => Registry[] = () => []) {
    this.wss.on("headers", (headers: string[], req: IncomingMessage) => {
      if (this.portForwards.has(req)) headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_PROTOCOL}`);
    });
  }

  async start(port: number, host = "0.0.0.0"): Promise<number> {
    this.server = createServer({ cert: this.tls.serverCert, key: this.tls.serverKey, ca: this.tls.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      this.authorized(req, res).catch((err) => { if (!res.headersSent) fail(res, 500, String((err as Error).message ?? err)); else res.end(); });
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.authorizedUpgrade(req, socket, head).catch((err) => socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${String((err as Error).message ?? err)}`));
    });
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => { this.server!.once("error", reject); this.server!.listen(port, host, () => resolve()); });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    // Upgraded connections (exec, attach, port-forward streams) are no longer the HTTP server's to close,
    // yet close() waits for them: they are ended here, or a stream left open would hold the kubelet forever.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async authorized(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const decision = await this.auth.check(req);
    if (!decision.allowed) return fail(res, decision.code, decision.message);
    return this.serve(req, res);
  }

  private async authorizedUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const decision = await this.auth.check(req);
    if (!decision.allowed) return refuseUpgrade(socket, decision.code, decision.message);
    return this.upgrade(req, socket, head);
  }

  private async container(ns: string, podName: string, containerName: string, previous: boolean) {
    const pod = this.kubelet.podByName(ns, podName);
    if (!pod) return { error: `pod "${podName}" not found` };
    const uid = String(pod.metadata.uid);
    const rt = await this.kubelet.manager.podStatus(uid);
    const mine = rt.containers.filter((c) => c.metadata.name === containerName);
    const spec = [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].find((c: Container) => c.name === containerName);
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
    // The path the gate authorized (the same parse): routing by any other spelling would be a way around it.
    const path = requestPath(req.url);
    const parts = segments(path);
    if (path === "/healthz") { res.writeHead(200, { "content-type": "text/plain" }); res.end("ok"); return; }
    if (parts[0] === "containerLogs" && parts.length === 4 && req.method === "GET") return this.logs(req, res, parts[1]!, parts[2]!, parts[3]!, url.searchParams);
    // The pods bound to this node as the kubelet knows them (what upstream's e2e framework reads through nodes/proxy).
    if (path === "/pods" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: {}, items: this.kubelet.pods?.list() ?? [] }));
      return;
    }
    if (path === "/metrics" && req.method === "GET") return serveMetrics(res, [processRegistry(), this.kubelet.metrics.registry, ...this.metricsAlso()]);
    if (path === "/metrics/resource" && req.method === "GET") {
      const families = await resourceMetricsOf(() => this.kubelet.stats.summary(), (err) =>
        this.kubelet.options.log("Error getting summary for resourceMetric prometheus endpoint", { err: String((err as Error)?.message ?? err) }));
      return serveExposition(res, renderConstFamilies(families));
    }
    if (path === "/metrics/cadvisor" && req.method === "GET") {
      const containers = await cadvisorContainersOf(this.kubelet.cadvisor, (err) =>
        this.kubelet.options.log("Couldn't get containers", { err: String((err as Error)?.message ?? err) }));
      return serveExposition(res, renderConstFamilies(cadvisorMetrics(containers, Date.now(), this.kubelet.cadvisor.machine())));
    }
    if (path === "/metrics/probes" && req.method === "GET") return serveMetrics(res, [this.kubelet.proberMetrics.registry]);
    if (path === "/stats/summary" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(await this.kubelet.stats.summary()));
      return;
    }
    fail(res, 404, "404 page not found");
  }

  /**
   * `/exec/{ns}/{pod}/{container}` and `/attach/...` over WebSocket: the runtime's streaming
   * server runs the session and the kubelet relays it over SPDY, so clients need to reach
   * only the kubelet; a runtime without one (process) has the kubelet run exec itself.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "https://kubelet");
    const parts = segments(requestPath(req.url));
    const refuse = (code: number, text: string): void => refuseUpgrade(socket, code, text);
    const kind = parts[0];
    if (kind === "portForward" && parts.length === 3) return this.portForward(req, socket, head, parts[1]!, parts[2]!, refuse);
    if ((kind !== "exec" && kind !== "attach") || parts.length !== 4) return refuse(404, "404 page not found");
    const runtime = this.kubelet.options.runtime;
    const q = url.searchParams;
    const flag = (k: string) => q.get(k) === "true" || q.get(k) === "1";
    const streams = { tty: flag("tty"), stdin: flag("stdin"), stdout: q.get("stdout") !== "false", stderr: flag("stderr") && !flag("tty") };
    const ownExec = kind === "exec" && !runtime.exec && runtime.execStream;
    if (!runtime[kind] && !ownExec) return refuse(400, `the ${runtime.name} runtime cannot stream ${kind} sessions`);
    if (ownExec && streams.tty) return refuse(400, `the ${runtime.name} runtime cannot give exec a terminal (tty): run without -t`);
    const found = await this.container(parts[1]!, parts[2]!, parts[3]!, false);
    if ("error" in found) return refuse(found.code ?? 404, found.error!);
    if (found.c.state !== "CONTAINER_RUNNING") return refuse(400, `container ${parts[3]} is not running`);
    if (isSpdyUpgrade(req)) return this.spdyStream(kind, req, socket, head, found.c.id, q.getAll("command"), streams, !!ownExec);
    if (ownExec) {
      const command = q.getAll("command");
      const proc = await runtime.execStream!(found.c.id, command, { stdin: streams.stdin });
      this.wss.handleUpgrade(req, socket, head, (client) => relayToProcess(client, proc, command));
      return;
    }
    const target = kind === "exec" ? await runtime.exec!(found.c.id, q.getAll("command"), streams) : await runtime.attach!(found.c.id, streams);
    const session = await openRuntimeExec(target, streams);
    this.wss.handleUpgrade(req, socket, head, (client) => relayToRuntime(client, session));
  }

  /**
   * exec and attach over SPDY (kubectl without WebSockets, older clients). A
   * runtime with a streaming server (containerd) is handed the upgrade as it
   * came and serves the session itself, as upstream's kubelet proxies it; a
   * command the kubelet runs itself has the kubelet serve the session.
   */
  private async spdyStream(kind: "exec" | "attach", req: IncomingMessage, socket: Duplex, head: Buffer, containerId: string, command: string[], streams: StreamOptions, ownExec: boolean): Promise<void> {
    const runtime = this.kubelet.options.runtime;
    if (!ownExec) {
      const url = new URL(kind === "exec" ? await runtime.exec!(containerId, command, streams) : await runtime.attach!(containerId, streams));
      if (url.protocol !== "http:") return refuseUpgrade(socket, 500, `the runtime's streaming server is at ${url.protocol}, which the kubelet does not dial`);
      const upstream = connect(Number(url.port || 80), url.hostname.replace(/^\[(.*)\]$/, "$1"));
      const dialFailed = (err: Error) => refuseUpgrade(socket, 500, `error dialing the runtime's streaming server: ${err.message}`);
      upstream.once("error", dialFailed);
      upstream.once("connect", () => {
        upstream.off("error", dialFailed);
        forwardUpgrade(req, socket, head, upstream, url.pathname + url.search, url.host);
      });
      return;
    }
    const negotiated = negotiate(req, SPDY_REMOTE_COMMAND_PROTOCOLS);
    if ("refusal" in negotiated) return refuseUpgrade(socket, negotiated.refusal.code, negotiated.refusal.message, undefined, negotiated.refusal.headers);
    const session = acceptSpdy(socket, head, negotiated.protocol);
    const remote = await acceptRemoteCommand(session, negotiated.protocol, streams).catch(() => undefined);
    if (!remote) return;
    const proc = await runtime.execStream!(containerId, command, { stdin: streams.stdin });
    relaySpdyToProcess(remote, proc, command);
  }

  /** `/portForward/{ns}/{pod}`: a SPDY session, plain or in WebSocket, each stream pair a connection into the pod (through the runtime where it can). */
  private async portForward(req: IncomingMessage, socket: Duplex, head: Buffer, ns: string, podName: string, refuse: (code: number, text: string) => void): Promise<void> {
    const pod = this.kubelet.pods.get(`${ns}/${podName}`);
    const podIP = pod?.status?.podIP;
    if (!pod || !podIP) return refuse(404, `pod ${ns}/${podName} not found on this node, or without an address yet`);
    if (isSpdyUpgrade(req)) {
      const negotiated = negotiate(req, [PORT_FORWARD_SPDY_PROTOCOL]);
      if ("refusal" in negotiated) return refuseUpgrade(socket, negotiated.refusal.code, negotiated.refusal.message, undefined, negotiated.refusal.headers);
      const dial = await this.portDialer(pod, podIP);
      servePortForward(acceptSpdy(socket, head, negotiated.protocol), podName, dial);
      return;
    }
    if (!String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).includes(PORT_FORWARD_PROTOCOL)) {
      return refuse(400, `port forwarding needs the WebSocket subprotocol ${PORT_FORWARD_PROTOCOL}`);
    }
    // The subprotocol's "/" is not a token character, so ws would refuse the handshake: it is taken out of the
    // request here and put back into the answer (see the "headers" listener).
    delete req.headers["sec-websocket-protocol"];
    this.portForwards.add(req);
    const dial = await this.portDialer(pod, podIP);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new SpdySession(createWebSocketStream(ws), { isServer: true, flowControl: false });
      session.on("close", () => ws.terminate());
      servePortForward(session, podName, dial);
    });
  }

  /**
   * How forwarded connections reach the pod: through the runtime when it can
   * (from inside the pod's network, loopback included, as upstream), else to
   * the pod's address.
   */
  private async portDialer(pod: Pod, podIP: string): Promise<PortDialer> {
    const runtime = this.kubelet.options.runtime;
    const sandbox = runtime.portForward ? (await this.kubelet.manager.podStatus(String(pod.metadata.uid))).sandboxes.find((sb) => sb.state === "SANDBOX_READY") : undefined;
    if (!runtime.portForward || !sandbox) return dialAddress(podIP);
    return async (port) => {
      const { session, data, error } = await openRuntimePortForward(await runtime.portForward!(sandbox.id, [port]), port);
      error.end();
      error.on("error", () => undefined);
      session.on("close", () => data.destroy());
      let failure = "";
      error.on("data", (d: Buffer) => (failure += d.toString()));
      data.once("close", () => session.close());
      return { stream: data, failure: () => failure };
    };
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

}

