/**
 * pods/log, pods/exec, pods/attach and pods/portforward, proxied to the
 * kubelet of the pod's node as upstream's API server does: logs as a plain
 * stream; exec and attach by WebSocket as sessions relayed from the kubelet
 * (see api/exec-streams), by SPDY spliced to it; port forwarding spliced.
 */
import { request, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { EXEC_PROTOCOLS, channelCodec, pickExecProtocol, relayExecFrames, sendChannel } from "../api/exec-streams.js";
import { ApiError } from "../api/errors.js";
import { refuseUpgrade } from "../api/upgrade-refusal.js";
import { forwardUpgrade } from "../api/upgrade-forward.js";
import type { Pki } from "../pki/index.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { Kube, KubeObject } from "../api/kube-object.js";

/** A node's `/stats/summary` as its kubelet sends it (the kubelet's stats/summary.ts), read by resource-metrics. */
type Summary = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- another component's JSON, read by field

/** pods/log's WebSocket subprotocols (a client may also name none: binary). */
const LOG_PROTOCOLS = ["binary.k8s.io", "base64.binary.k8s.io"];

export interface KubeletTarget { host: string; port: number; pod: Pod; nodeName?: string }

/** How the proxy reads a pod or a node from storage. */
/** A pod or node as stored. */
export type KubeletLookup = (kind: "pods" | "nodes", namespace: string | undefined, name: string) => Promise<KubeObject>;

export class KubeletProxy {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: pickExecProtocol,
  });

  private readonly logWss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => [...offered].find((p) => LOG_PROTOCOLS.includes(p)) ?? false,
  });

  constructor(private readonly pki: Pki, private readonly lookup: KubeletLookup) {}

  async target(namespace: string, podName: string): Promise<KubeletTarget> {
    const pod = await this.lookup("pods", namespace, podName) as Kube<Pod>;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw new ApiError(400, "BadRequest", `pod ${podName} does not have a host assigned`);
    const node = await (this.lookup("nodes", undefined, nodeName) as Promise<Kube<Node>>).catch(() => undefined);
    // A simulated node's endpoint serves usage summaries only: its pods have no logs, nothing to exec into.
    if (isSimulated(node)) throw new ApiError(503, "ServiceUnavailable", `no kubelet serves node "${nodeName}" (simulated nodes have none): pods/log, exec, attach and port-forward need a node with a kubelet`);
    return { ...kubeletOf(node, nodeName), pod };
  }

  /** The node's kubelet summary (`/stats/summary`); fails for a node without a kubelet. */
  async summary(node: Node): Promise<Summary> {
    const res = await this.call({ ...kubeletOf(node, node.metadata?.name ?? ""), pod: {} }, "GET", "/stats/summary");
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if (res.statusCode !== 200) throw new ApiError(503, "ServiceUnavailable", `kubelet answered ${res.statusCode}`);
    return JSON.parse(Buffer.concat(chunks).toString()) as Summary;
  }

  /**
   * How the API server dials a kubelet: its own kubelet client certificate
   * (never the admin's, so a kubelet grants it only what RBAC gives that
   * user), and the cluster CA for the kubelet's serving certificate.
   */
  private credentials(): { ca: string; cert: string; key: string } {
    return { ca: this.pki.caCert, cert: this.pki.kubeletClientCert, key: this.pki.kubeletClientKey };
  }

  static containerName(pod: Pod, asked: string | null): string {
    if (asked) return asked;
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    if (names.length === 1) return names[0]!;
    throw new ApiError(400, "BadRequest", `a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${names.join(" ")}]`);
  }

  private call(t: KubeletTarget, method: string, path: string): Promise<IncomingMessage> {
    const options: RequestOptions = {
      host: t.host, port: t.port, method, path,
      // The node's name as the TLS server name (upstream dials a kubelet by its host name): one endpoint
      // serving many simulated nodes tells them apart by it; a real kubelet ignores it.
      ...(t.nodeName && !isIP(t.nodeName) ? { servername: t.nodeName } : {}),
      ...this.credentials(),
      // The kubelet's certificate comes from the cluster CA; its names need not include the node address.
      checkServerIdentity: () => undefined,
    };
    return new Promise((resolve, reject) => {
      const req = request(options, resolve);
      req.once("error", (err) => reject(new ApiError(503, "ServiceUnavailable", `error dialing the kubelet at ${t.host}:${t.port}: ${err.message}`)));
      req.end();
    });
  }

  /**
   * The kubelet's refusal as the client's error. The kubelet's own refusals
   * of the call (401, 403, 5xx) are passed on as upstream's
   * GenericHttpResponseChecker words them, naming the subresource and pod:
   * `Forbidden (user=kube-apiserver-kubelet-client, verb=get, resource=nodes,
   * subresource=proxy) ( pods/log web)`. What it says of the pod or
   * container (404, 400) is the message as it stands.
   */
  private async errorFrom(res: IncomingMessage, subresource: string, podName: string): Promise<ApiError> {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString().trim();
    const code = res.statusCode ?? 500;
    const details = { name: podName, kind: `pods/${subresource}` };
    const about = ` ( pods/${subresource} ${podName})`;
    if (code === 401) return new ApiError(401, "Unauthorized", `the server has asked for the client to provide credentials${about}`, details);
    if (code === 403) return new ApiError(403, "Forbidden", `${text}${about}`, details);
    if (code === 500) return new ApiError(500, "InternalError", `Internal error occurred: ${text}`, { causes: [{ message: text }] });
    if (code > 500) return new ApiError(code, "InternalError", `an error on the server (${JSON.stringify(text)}) has prevented the request from succeeding${about}`, details);
    return new ApiError(code === 404 ? 404 : 400, code === 404 ? "NotFound" : "BadRequest", text || `kubelet answered ${code}`);
  }

  /** The container's log from its kubelet, once the kubelet has answered 200. */
  private async openLog(namespace: string, podName: string, query: URLSearchParams): Promise<IncomingMessage> {
    const t = await this.target(namespace, podName);
    const container = KubeletProxy.containerName(t.pod, query.get("container"));
    const q = new URLSearchParams();
    for (const k of ["follow", "tailLines", "timestamps", "sinceSeconds", "sinceTime", "previous", "limitBytes"]) if (query.has(k)) q.set(k, query.get(k)!);
    const res = await this.call(t, "GET", `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(podName)}/${encodeURIComponent(container)}?${q}`);
    if (res.statusCode !== 200) throw await this.errorFrom(res, "log", podName);
    return res;
  }

  /** Streams the container's log to the client. */
  async log(namespace: string, podName: string, query: URLSearchParams, out: { writeHead(code: number, headers: Record<string, string>): unknown; flushHeaders?(): void; write(b: Buffer): unknown; end(): unknown; once(e: "close", f: () => void): unknown }): Promise<void> {
    const res = await this.openLog(namespace, podName, query);
    out.writeHead(200, { "content-type": "text/plain" });
    out.flushHeaders?.();
    out.once("close", () => res.destroy());
    for await (const chunk of res) out.write(chunk as Buffer);
    out.end();
  }

  /**
   * An authorized upgrade of a pod's streaming subresource: exec and attach
   * by WebSocket are relayed here, by SPDY spliced to the kubelet; port
   * forwarding is spliced either way.
   */
  upgrade(kind: "exec" | "attach" | "portforward" | "log", req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string, query: URLSearchParams): void {
    if (kind === "portforward") return this.portForward(req, socket, head, namespace, podName);
    if (kind === "log") return this.logStream(req, socket, head, namespace, podName, query);
    if (isWebSocketUpgrade(req)) return this.stream(kind, req, socket, head, namespace, podName, query);
    return this.spdyStream(kind, req, socket, head, namespace, podName, query);
  }

  /**
   * pods/log by WebSocket (upstream's wsstream reader): each chunk of the log
   * a message, binary (`binary.k8s.io`, or no subprotocol) or text in base64
   * (`base64.binary.k8s.io`); the socket closes at the log's end.
   */
  private logStream(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string, query: URLSearchParams): void {
    const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
    if (offered.length && !offered.some((p) => LOG_PROTOCOLS.includes(p))) {
      return refuseWithStatus(socket, new ApiError(400, "BadRequest", `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${LOG_PROTOCOLS.join(" ")}]`));
    }
    void this.openLog(namespace, podName, query).then((log) => this.logWss.handleUpgrade(req, socket, head, (ws) => {
      const base64 = ws.protocol === "base64.binary.k8s.io";
      log.on("data", (chunk: Buffer) => { if (ws.readyState === WebSocket.OPEN) ws.send(base64 ? chunk.toString("base64") : chunk, { binary: !base64 }); });
      log.once("end", () => ws.close(1000));
      log.once("error", () => ws.terminate());
      ws.once("close", () => log.destroy());
      ws.on("error", () => log.destroy());
    }), (err) => refuseWithStatus(socket, err));
  }

  /**
   * Port forwarding, plain SPDY or SPDY in WebSocket (whose subprotocol
   * WebSocket libraries refuse: its "/" is not a token character): the
   * upgrade is passed to the kubelet as it came and the two connections are
   * spliced, as upstream's upgrade-aware proxy does.
   */
  private portForward(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string): void {
    void this.target(namespace, podName).then((t) => {
      if (t.pod.status?.phase !== "Running") throw new ApiError(400, "BadRequest", `pod ${podName} is not running; current phase is ${t.pod.status?.phase}`);
      this.splice(req, socket, head, t, `/portForward/${encodeURIComponent(namespace)}/${encodeURIComponent(podName)}`);
    }).catch((err) => refuseWithStatus(socket, err));
  }

  /**
   * exec and attach over SPDY (kubectl without WebSockets, client-go before
   * 1.30 and many tools): spliced to the kubelet, which negotiates the
   * protocol and serves the session, as upstream proxies it.
   */
  private spdyStream(kind: "exec" | "attach", req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string, query: URLSearchParams): void {
    void this.streamLocation(kind, namespace, podName, query)
      .then(({ t, path }) => this.splice(req, socket, head, t, path))
      .catch((err) => refuseWithStatus(socket, err));
  }

  private splice(req: IncomingMessage, socket: Duplex, head: Buffer, t: KubeletTarget, path: string): void {
    const kubelet = tlsConnect({ host: t.host, port: t.port, ...this.credentials(), checkServerIdentity: () => undefined });
    const dialFailed = (err: Error) => refuseWithStatus(socket, new ApiError(503, "ServiceUnavailable", `error dialing the kubelet at ${t.host}:${t.port}: ${err.message}`));
    kubelet.once("error", dialFailed);
    kubelet.once("secureConnect", () => {
      kubelet.off("error", dialFailed);
      forwardUpgrade(req, socket, head, kubelet, path, `${t.host}:${t.port}`);
    });
  }

  /** Answers kubectl's WebSocket exec or attach upgrade with a session relayed from the pod's kubelet. */
  private stream(kind: "exec" | "attach", req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string, query: URLSearchParams): void {
    // The kubelet is asked for the very subprotocol the client gets, so that frames pass as they are.
    const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
    const protocol = offered.length ? pickExecProtocol(new Set(offered)) : "";
    if (protocol === false) {
      return refuseWithStatus(socket, new ApiError(400, "BadRequest", `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${EXEC_PROTOCOLS.join(" ")}]`));
    }
    void this.openStream(kind, namespace, podName, query, protocol).then(
      (upstream) => this.wss.handleUpgrade(req, socket, head, (ws) => relayExecFrames(ws, upstream)),
      (err) => this.wss.handleUpgrade(req, socket, head, (ws) => void this.failExec(ws, err)),
    );
  }

  /** The kubelet and the path on it that serve an exec or attach session, once the request is found sound. */
  private async streamLocation(kind: "exec" | "attach", namespace: string, podName: string, query: URLSearchParams): Promise<{ t: KubeletTarget; path: string }> {
    const command = query.getAll("command");
    if (kind === "exec" && !command.length) throw new ApiError(400, "BadRequest", "you must specify at least 1 command");
    const t = await this.target(namespace, podName);
    if (t.pod.status?.phase === "Succeeded" || t.pod.status?.phase === "Failed") throw new ApiError(400, "BadRequest", `cannot ${kind === "exec" ? "exec into" : "attach to"} a container in a completed pod; current phase is ${t.pod.status.phase}`);
    const container = KubeletProxy.containerName(t.pod, query.get("container"));
    const q = new URLSearchParams();
    for (const c of command) q.append("command", c);
    for (const k of ["stdin", "stdout", "stderr", "tty"]) if (query.has(k)) q.set(k, query.get(k)!);
    return { t, path: `/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(podName)}/${encodeURIComponent(container)}?${q}` };
  }

  private async openStream(kind: "exec" | "attach", namespace: string, podName: string, query: URLSearchParams, protocol: string): Promise<WebSocket> {
    const { t, path } = await this.streamLocation(kind, namespace, podName, query);
    const url = `wss://${t.host}:${t.port}${path}`;
    const ws = new WebSocket(url, protocol ? [protocol] : [], { ...this.credentials(), checkServerIdentity: (() => undefined) as unknown as () => boolean });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(ws));
      ws.once("unexpected-response", (_req, res) => void this.errorFrom(res, kind, podName).then(reject));
      ws.once("error", (err) => reject(new ApiError(503, "ServiceUnavailable", `error dialing the kubelet at ${t.host}:${t.port}: ${err.message}`)));
    });
  }

  private failExec(ws: WebSocket, err: unknown): void {
    const e = err instanceof ApiError ? err : new ApiError(500, "InternalError", String((err as Error).message ?? err));
    const codec = channelCodec(ws.protocol);
    const status = codec.status({ metadata: {}, status: "Failure", message: e.message, reason: e.reason, code: e.code });
    if (status) sendChannel(ws, codec, 3, status);
    ws.close(1000);
  }

}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? "").trim().toLowerCase() === "websocket";
}

/** Refuses an upgrade with the error as a Status, which kubectl shows as it would a plain request's. */
function refuseWithStatus(socket: Duplex, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError(500, "InternalError", String((err as Error).message ?? err));
  refuseUpgrade(socket, e.code, JSON.stringify(e.toStatus()), "application/json");
}

/** Where a node's kubelet listens: its InternalIP and the port in daemonEndpoints. */
/** Nodes that the simulator registered (their annotation says so). */
function isSimulated(node: Node | undefined): boolean {
  return node?.metadata?.annotations?.["skiff.dev/simulated"] === "true";
}

function kubeletOf(node: Node | undefined, nodeName: string): { host: string; port: number; nodeName: string } {
  const host = node?.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
  const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!host || !port) throw new ApiError(503, "ServiceUnavailable", `no kubelet serves node "${nodeName}" (simulated nodes have none): pods/log, exec, attach, port-forward and metrics need a node with a kubelet`);
  return { host, port, nodeName };
}
