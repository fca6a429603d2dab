/**
 * The built-in ingress controller (k3s ships Traefik for this; here it is a
 * reverse proxy in the node agent): IngressClass `skiff`, marked default, and
 * an HTTP and an HTTPS listener on the node that route by host and path to
 * the ready endpoints of the Services the Ingresses name, round-robin.
 * TLS certificates come from the Secrets that the Ingresses' `tls` entries
 * name, picked by SNI; requests and responses stream through, and upgraded
 * connections (WebSockets) are spliced. Changes to Ingresses, Services,
 * EndpointSlices and Secrets apply at once, without a restart; each Ingress
 * served gets the node's address in `status.loadBalancer.ingress`.
 */
import { createServer as createHttpServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type Socket } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import type { Duplex } from "node:stream";
import { selfSignedCertificate } from "../pki/index.js";
import { jsonEqual } from "../api/json-equal.js";
import type { Secret, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Ingress, IngressClass } from "kubernetes-types/networking/v1.js";
import { EventRecorder, InformerFactory, Resources, type Client, type Informer, type Kube } from "../client/index.js";
import { refuseUpgrade } from "../api/upgrade-refusal.js";
import { RouteTable, type Backend } from "./routes.js";
import { readyEndpoints, type Endpoint } from "../proxy/service-ports.js";

export const INGRESS_CLASS = "skiff";
export const INGRESS_CONTROLLER = "skiff.io/ingress";
const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";

export interface IngressControllerOptions {
  /** Addresses to listen on and to report in the Ingresses' status (the first ones). */
  listenAddresses: string[];
  statusAddresses: string[];
  /** 0 picks a free port. */
  httpPort: number;
  httpsPort: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

export class IngressController {
  private readonly informers: InformerFactory;
  private readonly ingresses: Informer<Kube<Ingress>>;
  private readonly classes: Informer<Kube<IngressClass>>;
  private readonly services: Informer<Kube<Service>>;
  private readonly slices: Informer<Kube<EndpointSlice>>;
  private readonly secrets: Informer<Kube<Secret>>;
  private readonly recorder: EventRecorder;
  private routes = new RouteTable([]);
  private readonly servers: Server[] = [];
  private readonly upstream = new Agent({ keepAlive: true, maxSockets: 512 });
  private readonly contexts = new Map<string, { version: string; context: SecureContext }>();
  private readonly roundRobin = new Map<string, number>();
  /** Ready endpoints by backend, worked out once per change of Services or slices rather than per request. */
  private readonly endpoints = new Map<string, Endpoint[]>();
  private readonly syncedGeneration = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  ports = { http: 0, https: 0 };

  constructor(private readonly client: Client, private readonly options: IngressControllerOptions) {
    this.informers = new InformerFactory(client);
    this.ingresses = this.informers.informer<Kube<Ingress>>(Resources.ingresses);
    this.classes = this.informers.informer<Kube<IngressClass>>(Resources.ingressclasses);
    this.services = this.informers.informer<Kube<Service>>(Resources.services);
    this.slices = this.informers.informer<Kube<EndpointSlice>>(Resources.endpointslices);
    this.secrets = this.informers.informer<Kube<Secret>>(Resources.secrets);
    this.recorder = new EventRecorder(client, "skiff-ingress-controller");
    const changed = () => this.schedule();
    for (const inf of [this.ingresses, this.classes]) inf.addEventHandler({ add: changed, update: changed, delete: changed });
    const stale = () => this.endpoints.clear();
    for (const inf of [this.services, this.slices]) inf.addEventHandler({ add: stale, update: stale, delete: stale });
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.ensureIngressClass();
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    this.rebuild();
    const fallback = await selfSignedCertificate("Skiff Ingress Default Certificate");
    const handle = (tls: boolean) => (req: IncomingMessage, res: ServerResponse) => this.proxy(req, res, tls);
    const http = () => { const s = createHttpServer(handle(false)); s.on("upgrade", (req, sock, head) => this.upgrade(req, sock, head, false)); return s; };
    const https = () => {
      const s = createHttpsServer({ cert: fallback.cert, key: fallback.key, SNICallback: (name, cb) => cb(null, this.contextFor(name)) }, handle(true));
      s.on("upgrade", (req, sock, head) => this.upgrade(req, sock, head, true));
      return s;
    };
    this.ports.http = await this.listen(http, this.options.httpPort, "http");
    this.ports.https = await this.listen(https, this.options.httpsPort, "https");
    signal.addEventListener("abort", () => { clearTimeout(this.timer); void this.stop(); }, { once: true });
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections?.(); })));
    this.upstream.destroy();
  }

  /** Listens on every address; a port that cannot be had is reported and skipped, not fatal to the node. */
  private async listen(make: () => Server, port: number, scheme: string): Promise<number> {
    let chosen = port;
    for (const host of this.options.listenAddresses) {
      const server = make();
      try {
        await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(chosen, host, () => { server.off("error", reject); resolve(); }); });
        chosen = (server.address() as { port: number }).port;
        this.servers.push(server);
        this.options.log?.("ingress listening", { scheme, address: `${host}:${chosen}` });
      } catch (err) {
        this.options.log?.("ingress cannot listen", { scheme, address: `${host}:${port}`, err: (err as Error).message });
      }
    }
    return chosen;
  }

  /** The IngressClass `skiff` is created once, marked default; a user's later changes to it are kept. */
  private async ensureIngressClass(): Promise<void> {
    try {
      await this.client.get(Resources.ingressclasses, undefined, INGRESS_CLASS);
    } catch {
      const ingressClass: Kube<IngressClass> = {
        apiVersion: "networking.k8s.io/v1", kind: "IngressClass",
        metadata: { name: INGRESS_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
        spec: { controller: INGRESS_CONTROLLER },
      };
      await this.client.create(Resources.ingressclasses, undefined, ingressClass).catch(() => undefined);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.rebuild(); }, 5);
  }

  /** An Ingress is ours when its class is one of our controller's, or it names none and one of ours is the default. */
  private owned(): Kube<Ingress>[] {
    const ours = this.classes.list().filter((c) => c.spec?.controller === INGRESS_CONTROLLER);
    const names = new Set(ours.map((c) => c.metadata.name));
    const defaultIsOurs = ours.some((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true");
    return this.ingresses.list().filter((ing) => {
      if (ing.metadata.deletionTimestamp) return false;
      const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.["kubernetes.io/ingress.class"];
      return cls ? names.has(cls) : defaultIsOurs;
    });
  }

  private rebuild(): void {
    const owned = this.owned();
    this.routes = new RouteTable(owned);
    const status = this.options.statusAddresses.map((ip) => ({ ip }));
    const keys = new Set(owned.map((ing) => `${ing.metadata.namespace}/${ing.metadata.name}`));
    for (const key of this.syncedGeneration.keys()) if (!keys.has(key)) this.syncedGeneration.delete(key);
    for (const ing of owned) {
      const key = `${ing.metadata.namespace}/${ing.metadata.name}`;
      const generation = Number(ing.metadata.generation ?? 0);
      if (this.syncedGeneration.get(key) !== generation) {
        this.syncedGeneration.set(key, generation);
        this.recorder.event(ing, "Normal", "Sync", "Scheduled for sync");
      }
      if (!jsonEqual(ing.status?.loadBalancer?.ingress ?? [], status)) {
        void this.client.patch(Resources.ingresses, ing.metadata.namespace, ing.metadata.name!, { status: { loadBalancer: { ingress: status } } }, "merge", "status")
          .catch((err) => this.options.log?.("ingress status update failed", { ingress: key, err: String(err) }));
      }
    }
  }

  /** The secure context of the Ingress TLS Secret for this server name; undefined means the default certificate. */
  private contextFor(serverName: string): SecureContext | undefined {
    const entry = this.routes.secretFor(serverName);
    if (!entry) return undefined;
    const key = `${entry.namespace}/${entry.secretName}`;
    const secret = this.secrets.get(key);
    const crt = secret?.data?.["tls.crt"];
    const pem = secret?.data?.["tls.key"];
    if (!crt || !pem) return undefined;
    const cached = this.contexts.get(key);
    if (cached && cached.version === secret.metadata.resourceVersion) return cached.context;
    try {
      const context = createSecureContext({ cert: Buffer.from(crt, "base64"), key: Buffer.from(pem, "base64") });
      this.contexts.set(key, { version: String(secret.metadata.resourceVersion), context });
      return context;
    } catch (err) {
      this.options.log?.("ingress TLS secret unusable", { secret: key, err: (err as Error).message });
      return undefined;
    }
  }

  /** A ready endpoint of the backend's Service port, taken in turn. */
  private endpointFor(b: Backend): Endpoint | undefined {
    const key = `${b.namespace}/${b.service}:${b.port}`;
    let targets = this.endpoints.get(key);
    if (!targets) {
      const svc = this.services.get(`${b.namespace}/${b.service}`);
      const sp = svc?.spec?.ports?.find((p) => (typeof b.port === "number" ? p.port === b.port : p.name === b.port));
      const slices = sp ? this.slices.list(b.namespace).filter((sl) => sl.metadata.labels?.["kubernetes.io/service-name"] === b.service) : [];
      targets = sp ? readyEndpoints(slices, sp.name, "TCP") : [];
      this.endpoints.set(key, targets);
    }
    if (!targets.length) return undefined;
    const n = this.roundRobin.get(key) ?? 0;
    this.roundRobin.set(key, n + 1);
    return targets[n % targets.length];
  }

  private route(req: IncomingMessage): { endpoint?: Endpoint; status: number; message: string } {
    const backend = this.routes.match(req.headers.host, req.url ?? "/");
    if (!backend) return { status: 404, message: "default backend - 404" };
    const endpoint = this.endpointFor(backend);
    if (!endpoint) return { status: 503, message: `no ready endpoints for service ${backend.namespace}/${backend.service}` };
    return { endpoint, status: 200, message: "" };
  }

  private forwardedHeaders(req: IncomingMessage, tls: boolean): Record<string, string> {
    const client = req.socket.remoteAddress ?? "";
    const prior = req.headers["x-forwarded-for"];
    return {
      "x-forwarded-for": prior ? `${prior}, ${client}` : client,
      "x-real-ip": client,
      "x-forwarded-host": req.headers.host ?? "",
      "x-forwarded-port": String(req.socket.localPort ?? ""),
      "x-forwarded-proto": tls ? "https" : "http",
    };
  }

  private proxy(req: IncomingMessage, res: ServerResponse, tls: boolean): void {
    const { endpoint, status, message } = this.route(req);
    if (!endpoint) {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(message + "\n");
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    Object.assign(headers, this.forwardedHeaders(req, tls));
    const up = request({ host: endpoint.ip, port: endpoint.port, method: req.method, path: req.url, headers, agent: this.upstream }, (upRes) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upRes.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      // Streaming responses (server-sent events, chunked logs) reach the client as they come.
      res.flushHeaders();
      upRes.pipe(res);
    });
    up.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`bad gateway: ${err.message}\n`);
      else res.destroy();
    });
    res.on("close", () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  }

  /** An upgrade (WebSocket) is passed on as it came, then the two connections are spliced. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, tls: boolean): void {
    const { endpoint, status, message } = this.route(req);
    if (!endpoint) {
      refuseUpgrade(socket, status, `${message}\n`);
      return;
    }
    const upstream: Socket = connect(endpoint.port, endpoint.ip, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!/^x-forwarded-|^x-real-ip$/i.test(req.rawHeaders[i]!)) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      for (const [name, value] of Object.entries(this.forwardedHeaders(req, tls))) lines.push(`${name}: ${value}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    socket.on("close", () => upstream.destroy());
    upstream.on("close", () => socket.destroy());
  }
}
