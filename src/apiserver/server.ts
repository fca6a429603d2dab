/**
 * The API server: HTTPS (HTTP/2 and HTTP/1.1), authentication, routing to
 * discovery, OpenAPI and the resource handlers.
 */
import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { KubeletProxy } from "./kubelet-proxy.js";
import { listenAlso } from "./extra-listener.js";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo, Server as NetServer } from "node:net";
import { networkInterfaces } from "node:os";
import type { TLSSocket } from "node:tls";
import { ApiError, internalError, notFound, pathNotFound } from "../api/errors.js";
import { refuseUpgrade } from "../api/upgrade-refusal.js";
import type { ResourceInfo } from "../api/resources.js";
import type { Store } from "../storage/index.js";
import { QuotaAdmission } from "./quota-admission.js";
import { PriorityAdmission, SYSTEM_PRIORITY_CLASSES } from "./priority-admission.js";
import { ServerAdmission } from "./admission.js";
import { ResourceMetrics } from "./resource-metrics.js";
import { ResourceCatalog } from "./catalog.js";
import {
  aggregatedDiscovery, legacyApiGroup, legacyApiGroupList, legacyApiVersions, legacyResourceList, wantsAggregated,
} from "./discovery.js";
import { decodeProtobufObject } from "./protobuf/decode.js";
import { decodeBody, readBody, sendError, sendJson, type Request, type Response } from "./http.js";
import { ApiMetrics } from "./metrics.js";
import { OpenApiV3, openApiV2 } from "./openapi.js";
import type { Pki } from "../pki/index.js";
import { ObjectStore, type Obj } from "./registry/object-store.js";
import { ResourceHandler } from "./resource-handler.js";
import { rfc3339 } from "../api/time.js";

export interface ApiServerOptions {
  store: Store;
  pki: Pki;
  bindAddress?: string;
  port?: number;
  /** How often old revisions are compacted away (default 5 minutes; 0 disables). */
  compactionIntervalMs?: number;
  /** Extra bearer tokens accepted, mapped to their user. */
  tokens?: Map<string, UserInfo>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface UserInfo { username: string; uid?: string; groups: string[] }

export const VERSION_INFO = {
  major: "1", minor: "32", gitVersion: "v1.32.0-skiff", gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean", buildDate: "2026-11-23T00:00:00Z", goVersion: `node${process.versions.node}`, compiler: "tsc", platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
};

const NAMESPACES_INFO_KEY = { group: "", version: "v1", resource: "namespaces" };

export class ApiServer {
  readonly catalog = new ResourceCatalog();
  readonly objects: ObjectStore;
  private readonly kubelets: KubeletProxy;
  readonly admission: ServerAdmission;
  private readonly resourceMetrics: ResourceMetrics;
  private readonly openapi: OpenApiV3;
  private readonly handler: ResourceHandler;
  private server?: Http2SecureServer;
  private readonly tokens: Map<string, UserInfo>;
  private readonly metrics = new ApiMetrics();
  private readonly certUsers = new WeakMap<object, UserInfo | null>();
  private compactor?: NodeJS.Timeout;
  private readonly sockets = new Set<TLSSocket>();
  url = "";

  constructor(private readonly options: ApiServerOptions) {
    const nsInfo = this.catalog.lookup(NAMESPACES_INFO_KEY.group, NAMESPACES_INFO_KEY.version, NAMESPACES_INFO_KEY.resource)!;
    this.admission = new ServerAdmission(this.catalog, async (name) => {
      try { return await this.objects.get(nsInfo, undefined, name); } catch { return undefined; }
    });
    this.objects = new ObjectStore(options.store, this.admission);
    this.admission.onCrdStored = (crd) => this.crdStored(crd);
    this.admission.orphanDependents = (owner) => this.orphanDependents(owner);
    this.admission.ingressClasses = async () => (await this.objects.list(this.info("networking.k8s.io", "v1", "ingressclasses"), undefined)).items;
    const quotas = this.info("", "v1", "resourcequotas");
    this.admission.quota = new QuotaAdmission({
      list: async (ns) => (await this.objects.list(quotas, ns)).items,
      charge: async (quota, update) => {
        await this.objects.guaranteedUpdate(quotas, quota.metadata.namespace, quota.metadata.name, (cur) => {
          if (!cur) throw notFound("resourcequotas", "", quota.metadata.name);
          return { ...cur, status: { ...cur.status, hard: cur.status?.hard ?? cur.spec?.hard, used: update(cur.status?.used ?? {}) } };
        }, { subresource: "status", fieldManager: "resourcequota-admission" });
      },
    });
    this.admission.priority = new PriorityAdmission(async () => (await this.objects.list(this.info("scheduling.k8s.io", "v1", "priorityclasses"), undefined)).items);
    this.openapi = new OpenApiV3(this.catalog);
    this.kubelets = new KubeletProxy(options.pki, (kind, ns, name) => this.objects.get(this.catalog.lookup("", "v1", kind)!, ns, name));
    this.resourceMetrics = new ResourceMetrics(this.kubelets, {
      nodes: async () => (await this.objects.list(this.info("", "v1", "nodes"), undefined)).items,
      pods: async (ns) => (await this.objects.list(this.info("", "v1", "pods"), ns)).items,
    });
    this.handler = new ResourceHandler(this.objects, this.catalog.lookup("policy", "v1", "poddisruptionbudgets"), this.kubelets);
    this.tokens = new Map(options.tokens ?? []);
    this.tokens.set(options.pki.adminToken, { username: "admin", groups: ["system:masters", "system:authenticated"] });
    // Agents joining with the node token act as nodes (they register, renew Leases, report pods and request serving certificates).
    this.tokens.set(options.pki.nodeToken, { username: "system:node-bootstrap", groups: ["system:nodes", "system:authenticated"] });
  }

  info(group: string, version: string, resource: string): ResourceInfo {
    const r = this.catalog.lookup(group, version, resource);
    if (!r) throw new Error(`unknown resource ${group}/${version}/${resource}`);
    return r;
  }

  /** Loads what storage holds (CRDs, allocated addresses) and creates the built-in objects. */
  private async bootstrap(): Promise<void> {
    const crds = await this.objects.list(this.info("apiextensions.k8s.io", "v1", "customresourcedefinitions"), undefined);
    for (const crd of crds.items) if (!crd.metadata.deletionTimestamp) this.catalog.setCustomResource(crd);
    const services = await this.objects.list(this.info("", "v1", "services"), undefined);
    for (const svc of services.items) this.admission.recordService(svc);
    const ns = this.info("", "v1", "namespaces");
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      await this.objects.create(ns, undefined, { metadata: { name } }, { fieldManager: "skiff-apiserver" }).catch(ignoreExists);
    }
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      await this.objects.create(this.info("scheduling.k8s.io", "v1", "priorityclasses"), undefined, {
        metadata: { name: pc.name }, value: pc.value, description: pc.description,
      }, { fieldManager: "skiff-apiserver" }).catch(ignoreExists);
    }
    await this.objects.create(this.info("", "v1", "services"), "default", {
      metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: this.options.port ?? 6443 }], sessionAffinity: "None", type: "ClusterIP" },
    }, { fieldManager: "skiff-apiserver" }).catch(ignoreExists);
  }

  /**
   * The `kubernetes` Service's endpoints name this server, as upstream's
   * endpoint reconciler writes them: the address it serves on (a host address
   * when it serves on all of them) and its actual port.
   */
  private async reconcileKubernetesEndpoints(bound: string, port: number): Promise<void> {
    const ip = bound === "0.0.0.0" || bound === "::" ? advertiseAddress() : bound;
    const fieldManager = "skiff-apiserver";
    const services = this.info("", "v1", "services");
    await this.objects.guaranteedUpdate(services, "default", "kubernetes", (svc) => {
      if (svc!.spec.ports?.[0]?.targetPort !== port) svc!.spec.ports[0].targetPort = port;
      return svc!;
    }, { fieldManager });
    const upsert = (info: ResourceInfo, obj: Obj) => this.objects.guaranteedUpdate(info, "default", "kubernetes",
      (cur) => ({ ...obj, metadata: { ...(cur?.metadata ?? {}), ...obj.metadata } }), { fieldManager, allowCreate: true });
    await upsert(this.info("", "v1", "endpoints"), {
      metadata: { name: "kubernetes", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
    });
    await upsert(this.info("discovery.k8s.io", "v1", "endpointslices"), {
      metadata: { name: "kubernetes", labels: { "kubernetes.io/service-name": "kubernetes" } },
      addressType: "IPv4",
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: "https", port, protocol: "TCP" }],
    });
  }

  /**
   * Orphaning done at delete time: every object in the owner's namespace (or
   * anywhere, for a cluster-scoped owner) loses its ownerReference to it.
   */
  private async orphanDependents(owner: Obj): Promise<boolean> {
    const seen = new Set<string>();
    for (const info of this.catalog.all()) {
      if (seen.has(info.storagePrefix) || !info.verbs.includes("list")) continue;
      seen.add(info.storagePrefix);
      const namespace = info.namespaced ? owner.metadata.namespace : undefined;
      if (owner.metadata.namespace && !info.namespaced) continue;
      const list = await this.objects.list(info, namespace);
      for (const item of list.items) {
        if (!(item.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === owner.metadata.uid)) continue;
        await this.objects.guaranteedUpdate(info, item.metadata.namespace, item.metadata.name, (cur) => {
          const refs = (cur!.metadata.ownerReferences ?? []).filter((r: Obj) => r.uid !== owner.metadata.uid);
          if (refs.length) cur!.metadata.ownerReferences = refs;
          else delete cur!.metadata.ownerReferences;
          return cur!;
        }, { fieldManager: "skiff-garbage-collector" }).catch((err) => {
          if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
        });
      }
    }
    return true;
  }

  private crdStored(crd: Obj): void {
    if (crd.metadata.deletionTimestamp) {
      this.catalog.removeCustomResource(crd.metadata.name);
      return;
    }
    this.catalog.setCustomResource(crd);
    const established = (crd.status?.conditions ?? []).some((c: Obj) => c.type === "Established" && c.status === "True");
    if (established) return;
    // The names are accepted and the resource served at once; record that in the CRD's status.
    const info = this.info("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    const now = rfc3339();
    const spec = crd.spec;
    void this.objects.guaranteedUpdate(info, undefined, crd.metadata.name, (cur) => ({
      ...cur!,
      status: {
        conditions: [
          { type: "NamesAccepted", status: "True", lastTransitionTime: now, reason: "NoConflicts", message: "no conflicts found" },
          { type: "Established", status: "True", lastTransitionTime: now, reason: "InitialNamesAccepted", message: "the initial names have been accepted" },
        ],
        acceptedNames: spec.names, storedVersions: (spec.versions ?? []).filter((v: Obj) => v.storage).map((v: Obj) => v.name),
      },
    }), { subresource: "status", fieldManager: "skiff-apiextensions" }).catch((err) => this.options.log?.("failed to mark CRD established", { crd: crd.metadata.name, err: String(err) }));
  }

  async start(): Promise<void> {
    await this.bootstrap();
    const { pki } = this.options;
    this.server = createSecureServer({
      allowHTTP1: true, cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert,
      requestCert: true, rejectUnauthorized: false,
    }, (req, res) => void this.serve(req, res));
    // close() leaves HTTP/1.1 keep-alive connections open (upgrades, clients in this very process); stop() ends them.
    this.server.on("secureConnection", (socket: TLSSocket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    this.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? "/", "https://skiff");
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
      if (m && this.authenticate(req as unknown as Request)) {
        if (m[3] === "portforward") this.kubelets.portForward(req, socket, head, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
        else this.kubelets.stream(m[3] as "exec" | "attach", req, socket, head, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), url.searchParams);
        return;
      }
      // Anything else (SPDY's POST upgrades) is refused; kubectl then reports the reason.
      refuseUpgrade(socket, 400, JSON.stringify(new ApiError(400, "BadRequest", `upgrade requests are served by the kubelet: ${req.url}`).toStatus()), "application/json");
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.options.port ?? 6443, this.options.bindAddress ?? "127.0.0.1", () => resolve());
    });
    this.startCompactor();
    const addr = this.server.address() as AddressInfo;
    await this.reconcileKubernetesEndpoints(addr.address, addr.port).catch((err) => this.options.log?.("kubernetes endpoints not written", { err: String(err) }));
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    this.url = `https://${host}:${addr.port}`;
  }

  /**
   * Keeps one interval of history: each tick compacts to the revision seen at
   * the previous tick, as upstream's apiserver does every five minutes.
   */
  private startCompactor(): void {
    const interval = this.options.compactionIntervalMs ?? 5 * 60_000;
    if (!interval) return;
    let previous = 0;
    this.compactor = setInterval(() => {
      void (async () => {
        const current = await this.options.store.currentRevision();
        if (previous > 0) await this.options.store.compact(previous);
        previous = current;
      })().catch((err) => this.options.log?.("compaction failed", { err: String(err) }));
    }, interval);
    this.compactor.unref();
  }

  private readonly extraListeners: NetServer[] = [];

  /**
   * Serves also on address and names it in the `kubernetes` Service's
   * endpoints (upstream's advertise address), with a serving certificate that
   * names it: the node's pod-network gateway, known only once the node's
   * bridge is up, so that pods reach a server on loopback at 10.96.0.1.
   */
  async advertise(address: string, serving?: { cert: string; key: string }): Promise<void> {
    if (serving) this.server!.setSecureContext({ cert: serving.cert, key: serving.key, ca: this.options.pki.caCert });
    const addr = this.server!.address() as AddressInfo;
    if (!["0.0.0.0", "::", address].includes(addr.address)) this.extraListeners.push(await listenAlso(this.server!, address, addr.port));
    await this.reconcileKubernetesEndpoints(address, addr.port);
  }

  async stop(): Promise<void> {
    for (const l of this.extraListeners.splice(0)) l.close();
    clearInterval(this.compactor);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Open watches would hold close() forever.
      const s = server as unknown as { closeAllConnections?: () => void };
      s.closeAllConnections?.();
      setTimeout(resolve, 2000).unref();
    });
    for (const socket of this.sockets) socket.destroy();
  }

  private authenticate(req: Request): UserInfo | undefined {
    const auth = req.headers.authorization;
    if (typeof auth === "string" && auth.startsWith("Bearer ")) return this.tokens.get(auth.slice(7).trim());
    const socket = ((req as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket ?? req.socket) as TLSSocket;
    if (!socket?.authorized) return undefined;
    // A connection's client certificate never changes; parse it once per connection.
    const known = this.certUsers.get(socket);
    if (known !== undefined) return known ?? undefined;
    let user: UserInfo | null = null;
    const raw = socket.getPeerCertificate?.()?.raw;
    if (raw) {
      const fields = new X509Certificate(raw).subject.split("\n").map((l) => l.split("=") as [string, string]);
      const cn = fields.find(([k]) => k === "CN")?.[1];
      const groups = fields.filter(([k]) => k === "O").map(([, v]) => v);
      if (cn) user = { username: cn, groups: [...groups, "system:authenticated"] };
    }
    this.certUsers.set(socket, user);
    return user ?? undefined;
  }

  private async serve(req: Request, res: Response): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "https://skiff");
    try {
      const path = url.pathname.replace(/\/+$/, "") || "/";
      if (path === "/healthz" || path === "/livez" || path === "/readyz") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        res.end("ok");
        return;
      }
      if (path === "/version") return sendJson(res, 200, VERSION_INFO);
      // The CA, for agents to check against their join token before trusting this server (as k3s's /cacerts).
      if (path === "/cacerts") {
        res.writeHead(200, { "content-type": "application/x-pem-file" });
        res.end(this.options.pki.caCert);
        return;
      }
      const user = this.authenticate(req);
      if (!user) throw new ApiError(401, "Unauthorized", "Unauthorized");
      if (path === "/metrics") {
        const body = this.metrics.render({ skiff_storage_revision: await this.options.store.currentRevision() });
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(body);
        return;
      }
      await this.route(req, res, path, url.searchParams, user);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError(err);
      if (!(err instanceof ApiError)) this.options.log?.("request failed", { method: req.method, url: req.url, err: String((err as Error)?.stack ?? err) });
      sendError(res, apiErr);
    } finally {
      const parts = url.pathname.split("/");
      const resource = parts[1] === "api" ? parts[parts[3] === "namespaces" && parts.length > 5 ? 5 : 3] : parts[1] === "apis" ? parts[parts[4] === "namespaces" && parts.length > 6 ? 6 : 4] : "";
      const verb = url.searchParams.get("watch") === "true" ? "WATCH" : req.method ?? "";
      this.metrics.observe(verb, resource ?? "", res.statusCode, (Date.now() - started) / 1000);
      if (process.env.SKIFF_LOG_REQUESTS) this.options.log?.("request", { method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started });
    }
  }

  private async route(req: Request, res: Response, path: string, query: URLSearchParams, user: UserInfo): Promise<void> {
    const accept = req.headers.accept;
    if (path === "/api" || path === "/apis") {
      const aggregated = wantsAggregated(accept);
      if (aggregated) return sendJson(res, 200, aggregatedDiscovery(this.catalog, path === "/api", aggregated), aggregated);
      return sendJson(res, 200, path === "/api" ? legacyApiVersions(req.headers.host ?? "127.0.0.1:6443") : legacyApiGroupList(this.catalog));
    }
    if (path === "/openapi/v2") {
      const doc = openApiV2(String(accept ?? "").includes("protobuf"), VERSION_INFO.gitVersion);
      res.writeHead(200, { "content-type": doc.contentType });
      res.end(doc.body);
      return;
    }
    if (path === "/openapi/v3") return sendJson(res, 200, this.openapi.root());
    if (path.startsWith("/openapi/v3/")) {
      const doc = this.openapi.byPath(path.slice("/openapi/v3/".length));
      if (!doc) throw pathNotFound();
      res.writeHead(200, { "content-type": "application/json", etag: `"${doc.hash}"`, ...(query.get("hash") === doc.hash ? { "cache-control": "public, immutable", expires: new Date(Date.now() + 365 * 86400_000).toUTCString() } : {}) });
      res.end(doc.body);
      return;
    }
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === "api") {
      if (parts.length < 2) throw pathNotFound();
      [group, version, rest] = ["", parts[1]!, parts.slice(2)];
    } else if (parts[0] === "apis") {
      if (parts.length === 2) {
        const g = legacyApiGroup(this.catalog, parts[1]!);
        if (!g) throw pathNotFound();
        return sendJson(res, 200, g);
      }
      if (parts.length < 3) throw pathNotFound();
      [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    } else {
      throw pathNotFound();
    }
    if (rest.length === 0) {
      const list = legacyResourceList(this.catalog, group, version);
      if (!list) throw pathNotFound();
      return sendJson(res, 200, list);
    }
    if (rest[0] === "watch") {
      rest = rest.slice(1);
      query.set("watch", "true");
    }
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3 && !(rest.length === 3 && (rest[2] === "status" || rest[2] === "finalize") && group === "")) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource, ...extra] = rest;
    if (extra.length) throw pathNotFound();
    const info = this.catalog.lookup(group, version, resource!);
    if (!info) throw pathNotFound();
    if (namespace !== undefined && !info.namespaced) throw pathNotFound();
    if (await this.virtual(req, res, info, user)) return;
    if (info.group === "metrics.k8s.io") {
      if (req.method !== "GET" || query.get("watch") === "true") throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      return sendJson(res, 200, await this.resourceMetrics.get(info.resource as "nodes" | "pods", namespace, name, query));
    }
    await this.handler.handle(req, res, { info, namespace, name, subresource, query, user: user.username, groups: user.groups });
  }

  /** Review kinds answered from the request itself, never stored. */
  private async virtual(req: Request, res: Response, info: ResourceInfo, user: UserInfo): Promise<boolean> {
    const reviews = ["SelfSubjectReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "TokenReview"];
    if (!reviews.includes(info.kind)) return false;
    if (req.method !== "POST") throw new ApiError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`);
    const raw = await readBody(req);
    let body: Obj = {};
    const type = String(req.headers["content-type"] ?? "");
    if (type.startsWith("application/vnd.kubernetes.protobuf")) body = decodeProtobufObject(raw);
    else if (raw.length) body = decodeBody(raw, "application/json") as Obj;
    const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    const out: Obj = { kind: info.kind, apiVersion, metadata: { creationTimestamp: null }, spec: body.spec ?? {} };
    // Authorization allows every authenticated user until RBAC is enforced.
    if (info.kind === "SelfSubjectReview") { delete out.spec; out.status = { userInfo: { username: user.username, groups: user.groups } }; }
    else if (info.kind === "SelfSubjectRulesReview") out.status = { resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }], incomplete: false };
    else if (info.kind === "TokenReview") {
      const u = this.tokens.get(body.spec?.token ?? "");
      out.status = u ? { authenticated: true, user: { username: u.username, groups: u.groups } } : { authenticated: false };
    } else out.status = { allowed: true, reason: "authorization is allow-all for authenticated users" };
    sendJson(res, 201, out);
    return true;
  }
}

function ignoreExists(err: unknown): void {
  if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
}

/** The host's first non-loopback IPv4 address, for a server bound to all of them. */
function advertiseAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
