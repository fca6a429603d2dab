/**
 * The API server's Prometheus families, with upstream's names, labels and
 * buckets (k8s.io/apiserver/pkg/endpoints/metrics and storage/etcd3/metrics).
 * The labels of a request come from its RequestInfo, cleaned as upstream's
 * cleanVerb and CleanScope do (see requestLabels).
 */
import { Counter, Gauge, Histogram, REQUEST_DURATION_BUCKETS, Registry } from "../metrics/index.js";
import type { RequestInfo } from "./request-info.js";
import type { ResourceInfo } from "../api/resources.js";

/** The labels of apiserver_request_total but code, in upstream's order. */
export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

/** Methods a verb may be named after; anything else is OTHER, as upstream's cleanVerb. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"]);

/** Subresources that connect a stream to a pod, node or service: upstream reports them as CONNECT. */
const CONNECT_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);

const VERBS: Record<string, string> = {
  get: "GET", list: "LIST", watch: "WATCH", create: "POST", update: "PUT", patch: "PATCH", delete: "DELETE", deletecollection: "DELETE",
};

/**
 * served: the resource the request is for, when the server serves it.
 * Upstream's reported verb: LIST for a collection's GET, WATCH for a watch
 * (either form), APPLY for a server-side apply patch, CONNECT for streams;
 * else the HTTP method. Scope: resource for a named object (and create),
 * namespace, cluster, or empty for a non-resource path.
 */
export function requestLabels(info: RequestInfo, method: string, contentType: string | undefined, query: URLSearchParams, served?: ResourceInfo): RequestLabels {
  const httpVerb = METHODS.has(method.toUpperCase()) ? method.toUpperCase() : "OTHER";
  let verb: string;
  if (!info.isResourceRequest) verb = httpVerb;
  else if (CONNECT_SUBRESOURCES.has(info.subresource)) verb = "CONNECT";
  else verb = VERBS[info.verb] ?? httpVerb;
  // A watch of one object by its path (`pods/web?watch=true`) is a watch too.
  if ((verb === "GET" || verb === "LIST") && ["true", "1"].includes(query.get("watch") ?? "")) verb = "WATCH";
  if (verb === "PATCH" && (contentType ?? "").split(";")[0]!.trim() === "application/apply-patch+yaml") verb = "APPLY";
  let scope = "";
  if (info.isResourceRequest) scope = info.name || info.verb === "create" ? "resource" : info.namespace ? "namespace" : "cluster";
  // Only what the server serves names a series: any path a client makes up (even unauthenticated) must not add one.
  const known = info.isResourceRequest && served !== undefined;
  const subresource = known && served.subresources.some((s) => s.name === info.subresource) ? info.subresource : "";
  return {
    verb, dry_run: query.get("dryRun") === "All" ? "All" : "", group: known ? info.apiGroup : "", version: known ? info.apiVersion : "",
    resource: known ? info.resource : "", subresource, scope, component: "apiserver",
  };
}

/**
 * Requests that stay open (upstream's long-running check: watches, proxies,
 * exec, attach, port-forward, logs): apiserver_longrunning_requests counts
 * them, not the inflight gauge.
 */
export function isLongRunning(labels: RequestLabels): boolean {
  return labels.verb === "WATCH" || labels.verb === "CONNECT" || labels.subresource === "log";
}

/** Upstream's request kinds of the inflight limits: a read is get, list or watch. */
export function requestKind(info: RequestInfo): "readOnly" | "mutating" {
  return ["get", "list", "watch"].includes(info.verb) || (!info.isResourceRequest && info.verb === "head") ? "readOnly" : "mutating";
}

const REQUEST_LABELS = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"] as const;

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "apiserver_request_total", help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.", labelNames: [...REQUEST_LABELS, "code"], registers: [this.registry] });
  private readonly latency = new Histogram({ name: "apiserver_request_duration_seconds", help: "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.", labelNames: REQUEST_LABELS, buckets: REQUEST_DURATION_BUCKETS, registers: [this.registry] });
  private readonly longRunning = new Gauge({ name: "apiserver_longrunning_requests", help: "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.", labelNames: REQUEST_LABELS, registers: [this.registry] });
  private readonly watchEvents = new Counter({ name: "apiserver_watch_events_total", help: "Number of events sent in watch clients", labelNames: ["group", "version", "kind"], registers: [this.registry] });
  private readonly watchEventSizes = new Histogram({ name: "apiserver_watch_events_sizes", help: "Watch event size distribution in bytes", labelNames: ["group", "version", "kind"], buckets: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072], registers: [this.registry] });
  readonly etcdLatency = new Histogram({ name: "etcd_request_duration_seconds", help: "Etcd request latency in seconds for each operation and object type.", labelNames: ["operation", "type"], buckets: REQUEST_DURATION_BUCKETS, registers: [this.registry] });
  readonly etcdErrors = new Counter({ name: "etcd_request_errors_total", help: "Etcd failed request counts for each operation and object type.", labelNames: ["operation", "type"], registers: [this.registry] });
  private readonly kinds = { readOnly: 0, mutating: 0 };

  /**
   * storageObjects: the number of stored objects of each resource (its
   * group-qualified name), read when Prometheus scrapes; -1 for a resource
   * whose count failed, as upstream.
   */
  constructor(storageObjects?: () => Promise<Map<string, number>>) {
    // Read when scraped: a request only moves a number, which keeps the per-request cost down.
    const kinds = this.kinds;
    new Gauge({
      name: "apiserver_current_inflight_requests", help: "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
      labelNames: ["request_kind"], registers: [this.registry],
      collect() {
        this.set({ request_kind: "readOnly" }, kinds.readOnly);
        this.set({ request_kind: "mutating" }, kinds.mutating);
      },
    });
    if (storageObjects) {
      new Gauge({
        name: "apiserver_storage_objects", help: "Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.",
        labelNames: ["resource"], registers: [this.registry],
        async collect() {
          this.reset();
          for (const [resource, n] of await storageObjects()) this.set({ resource }, n);
        },
      });
    }
  }

  /** Marks a request begun; the returned function ends it with its status code. */
  begin(info: RequestInfo, labels: RequestLabels): (code: number) => void {
    const started = performance.now();
    const long = isLongRunning(labels);
    const kind = requestKind(info);
    if (long) this.longRunning.inc(labels);
    else this.kinds[kind]++;
    let ended = false;
    return (code) => {
      if (ended) return;
      ended = true;
      if (long) this.longRunning.dec(labels);
      else this.kinds[kind]--;
      this.requests.inc({ ...labels, code: String(code) });
      // A watch's or stream's duration is observed too when it ends, as upstream's MonitorRequest does.
      this.latency.observe(labels, (performance.now() - started) / 1000);
    };
  }

  /** A request that failed before its RequestInfo was known (a malformed path): counted with empty labels. */
  unparsed(method: string, code: number): void {
    this.requests.inc({ verb: method.toUpperCase(), dry_run: "", group: "", version: "", resource: "", subresource: "", scope: "", component: "apiserver", code: String(code) });
  }

  watchEvent(group: string, version: string, kind: string, bytes: number): void {
    this.watchEvents.inc({ group, version, kind });
    this.watchEventSizes.observe({ group, version, kind }, bytes);
  }
}
