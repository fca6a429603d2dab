/**
 * The API server's aggregation layer (upstream's kube-aggregator, run in
 * the same process as upstream runs it in front of kube-apiserver):
 * - APIServices for what this server serves itself (built-in groups and
 *   CRDs' groups, "Local", as upstream's autoregister and CRD registration
 *   controllers make them), kept while they are served;
 * - each remote APIService's Available condition, checked when it changes
 *   and every 30 s, with upstream's reasons;
 * - the group-versions of available remote APIServices in discovery, from
 *   their own discovery answer, and their requests proxied to them
 *   (proxy.ts); one that is not available answers 503;
 * - their OpenAPI documents, merged into /openapi/v2 and listed in
 *   /openapi/v3 (openapi.ts).
 */
import type { Condition } from "kubernetes-types/meta/v1.js";
import type { APIResourceList } from "kubernetes-types/meta/v1.js";
import { ApiError } from "../../api/errors.js";
import type { Kube } from "../../api/kube-object.js";
import type { ResourceInfo } from "../../api/resources.js";
import { rfc3339 } from "../../api/time.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { ResourceCatalog } from "../catalog.js";
import type { Request, Response } from "../http.js";
import type { ObjectStore } from "../registry/object-store.js";
import type { APIService } from "../registry/apiregistration/apiservices/types.js";
import type { WatchCache } from "../registry/watch-cache.js";
import { checkAvailability, LOCAL_AVAILABLE, type AvailabilityDependencies, type AvailableCondition } from "./availability.js";
import { proxyToExtension } from "./proxy.js";
import { downloadOpenApi, type AggregatedOpenApi } from "./openapi.js";

export const AUTOMANAGED_LABEL = "kube-aggregator.kubernetes.io/automanaged";

export interface AggregatorOptions {
  apiServices: WatchCache<APIService>;
  objects: ObjectStore;
  /** apiregistration.k8s.io/v1 apiservices. */
  info: ResourceInfo;
  catalog: ResourceCatalog;
  availability: AvailabilityDependencies;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Where the remote APIServices' OpenAPI documents go; none downloaded when unset. */
  openapi?: AggregatedOpenApi;
  /** How often every APIService is checked again (upstream: 30 s). */
  intervalMs?: number;
}

const nameOf = (group: string, version: string) => `${version}.${group}`;

export class Aggregator {
  private timer?: NodeJS.Timeout;
  private readonly checking = new Set<string>();
  private stopped = false;

  constructor(private readonly o: AggregatorOptions) {}

  start(): void {
    this.o.apiServices.onChange((type, obj) => {
      const a = obj as APIService;
      const name = a.metadata?.name ?? "";
      if (type === "DELETED") { this.forget(a); return; }
      void this.check(name);
    });
    const round = () => void this.reconcile().catch((err: unknown) => this.o.log?.("aggregator: reconcile failed", { err: String((err as Error).message ?? err) }));
    round();
    this.timer = setInterval(round, this.o.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The remote APIService that serves a group-version, if one claims it. */
  remoteFor(group: string, version: string): APIService | undefined {
    if (!group) return undefined;
    const a = this.o.apiServices.get(undefined, nameOf(group, version));
    return a?.spec?.service ? a : undefined;
  }

  /** Proxies a request to its APIService's server, or answers 503 while that one is not available. */
  async serve(req: Request, res: Response, apiService: APIService, user: UserInfo): Promise<void> {
    const available = apiService.status?.conditions?.find((c) => c.type === "Available")?.status === "True";
    if (!available) throw new ApiError(503, "ServiceUnavailable", "service unavailable");
    await proxyToExtension(req, res, apiService, user, this.o.availability);
  }

  /** Local APIServices for what is served here, then every remote one checked. */
  private async reconcile(): Promise<void> {
    await this.registerLocal();
    for (const a of this.o.apiServices.list()) if (a.spec?.service) await this.check(a.metadata?.name ?? "");
  }

  private async registerLocal(): Promise<void> {
    const existing = new Map(this.o.apiServices.list().map((a) => [a.metadata?.name ?? "", a]));
    const wanted = new Map<string, Kube<APIService>>();
    const groups = this.o.catalog.groups().filter((g) => g.versions.length);
    groups.forEach((g, i) => {
      const custom = this.o.catalog.resourcesOf(g.name, g.versions[0]!).some((r) => r.crd);
      if (this.o.catalog.resourcesOf(g.name, g.versions[0]!).every((r) => r.aggregated)) return;
      g.versions.forEach((version, v) => {
        wanted.set(nameOf(g.name, version), {
          apiVersion: "apiregistration.k8s.io/v1", kind: "APIService",
          metadata: { name: nameOf(g.name, version), labels: { [AUTOMANAGED_LABEL]: custom ? "true" : "onstart" } },
          // Upstream's priorities order discovery: the core group first; CRD groups at 1000.
          spec: { group: g.name, version, groupPriorityMinimum: custom ? 1000 : Math.max(18000 - 100 * i, 1100), versionPriority: custom ? 100 : Math.max(15 - v, 1) },
        });
      });
    });
    for (const [name, a] of wanted) {
      if (existing.has(name)) continue;
      try {
        await this.o.objects.create(this.o.info, undefined, a);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === "AlreadyExists")) throw err;
      }
      await this.check(name);
    }
    // A CRD's group-version that is no longer served goes; an APIService someone took over (a service set) stays.
    for (const [name, a] of existing) {
      if (wanted.has(name) || a.spec?.service || !a.metadata?.labels?.[AUTOMANAGED_LABEL]) continue;
      await this.o.objects.delete(this.o.info, undefined, name).catch(() => undefined);
    }
  }

  /** Checks one APIService and records its condition; its resources go to discovery while it is available. */
  private async check(name: string): Promise<void> {
    if (this.stopped || this.checking.has(name)) return;
    this.checking.add(name);
    try {
      const a = this.o.apiServices.get(undefined, name);
      if (!a?.spec) return;
      const { condition, resources } = await checkAvailability(a, this.o.availability);
      if (a.spec.service) {
        const available = condition.status === "True";
        this.publish(a, available ? resources : undefined);
        if (available) await this.downloadOpenApi(a);
        else this.o.openapi?.delete(name);
      }
      await this.record(name, condition);
    } catch (err) {
      this.o.log?.("aggregator: availability check failed", { apiService: name, err: String((err as Error).message ?? err) });
    } finally {
      this.checking.delete(name);
    }
  }

  private async record(name: string, condition: AvailableCondition): Promise<void> {
    const current = this.o.apiServices.get(undefined, name)?.status?.conditions?.find((c) => c.type === "Available");
    if (current && current.status === condition.status && current.reason === condition.reason && current.message === condition.message) return;
    await this.o.objects.guaranteedUpdate(this.o.info, undefined, name, (stored) => {
      const cur = stored as Kube<APIService> | undefined;
      const conditions: Condition[] = (cur!.status?.conditions ?? []).filter((c: Condition) => c.type !== "Available");
      const old = (cur!.status?.conditions ?? []).find((c: Condition) => c.type === "Available");
      const lastTransitionTime = old && old.status === condition.status ? old.lastTransitionTime : rfc3339(Date.now());
      return { ...cur!, status: { ...cur!.status, conditions: [...conditions, { type: "Available", ...condition, lastTransitionTime }] } };
    }, { subresource: "status" }).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    });
  }

  private async downloadOpenApi(a: APIService): Promise<void> {
    if (!this.o.openapi) return;
    try {
      this.o.openapi.set(a.metadata?.name ?? "", await downloadOpenApi(a, this.o.availability));
    } catch (err) {
      // What was downloaded before stays, as upstream keeps the last spec it had.
      this.o.log?.("aggregator: OpenAPI download failed", { apiService: a.metadata?.name, err: String((err as Error).message ?? err) });
    }
  }

  private publish(a: APIService, resources: APIResourceList | undefined): void {
    const { group = "", version = "" } = a.spec ?? {};
    this.o.catalog.setAggregated(group, version, resources ? aggregatedResources(group, version, resources) : undefined);
  }

  private forget(a: APIService): void {
    if (!a.spec?.service) return;
    this.o.catalog.setAggregated(a.spec.group ?? "", a.spec.version ?? "", undefined);
    this.o.openapi?.delete(a.metadata?.name ?? "");
  }
}

/** The catalog's entries for an extension server's resources, from its APIResourceList (subresources as `parent/sub`). */
export function aggregatedResources(group: string, version: string, list: APIResourceList): ResourceInfo[] {
  const top = (list.resources ?? []).filter((r) => !r.name.includes("/"));
  return top.map((r) => ({
    group, version, kind: r.kind, resource: r.name, singular: r.singularName || r.kind.toLowerCase(), namespaced: r.namespaced,
    shortNames: r.shortNames, categories: r.categories, verbs: r.verbs ?? [],
    subresources: (list.resources ?? []).filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => ({ name: s.name.slice(r.name.length + 1), verbs: s.verbs ?? [] })),
    storagePrefix: "", aggregated: true,
  }));
}

export { LOCAL_AVAILABLE };
