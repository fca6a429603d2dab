/**
 * Upstream's ResourceQuota admission: a new object that would take its
 * namespace past a quota's hard limits is refused (403, "exceeded quota"),
 * and an accepted one is charged to the quota's status.used at once, so the
 * next create sees it before the ResourceQuota controller recounts. Creates
 * that a quota of their namespace limits are admitted one at a time; the
 * others pass at once: which resources each namespace's quotas name is read
 * from a cache that follows the quotas' watch.
 */
import type { Pod, ResourceQuota as ResourceQuotaObject } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import { ApiError } from "../../../api/errors.js";
import type { ResourceInfo } from "../../../api/resources.js";
import { REQUIRED_BY_QUOTA, formatAmount, quotaAmount, quotaApplies, usageOf } from "../../../api/resource-quota.js";
import type { AdmissionAttributes, AdmissionObject as Obj, AdmissionPlugin } from "../admission.js";

export interface QuotaStore {
  /** The quotas of a namespace, read from storage. */
  list(namespace: string): Promise<ResourceQuotaObject[]>;
  /** The quotas of a namespace that the cache holds. */
  cached(namespace: string): ResourceQuotaObject[];
  /** Rewrites status.used of the latest version of a quota (retried on conflict). */
  charge(quota: ResourceQuotaObject, update: (used: Record<string, string>) => Record<string, string>): Promise<void>;
}

/** How long a namespace found without quotas in storage is believed to have none while the cache catches up, as upstream's live-lookup TTL. */
const LIVE_LOOKUP_TTL_MS = 30_000;

export class ResourceQuota implements AdmissionPlugin {
  readonly name = "ResourceQuota";
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly liveLookups = new Map<string, { expiry: number; quotas: ResourceQuotaObject[] }>();

  constructor(private readonly store: QuotaStore) {}

  // Last in the chain: only an object every other step accepted is charged to its quotas.
  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== "CREATE" || a.subresource || !a.info.namespaced) return;
    await this.charge(a.info, a.object, a.dryRun);
  }

  /** The quotas of a namespace: the cache's, or (when it has none) storage's, remembered for a while. */
  private async quotasOf(ns: string): Promise<ResourceQuotaObject[]> {
    const cached = this.store.cached(ns);
    if (cached.length) return cached;
    const live = this.liveLookups.get(ns);
    if (live && live.expiry > Date.now()) return live.quotas;
    const quotas = await this.store.list(ns);
    this.liveLookups.set(ns, { expiry: Date.now() + LIVE_LOOKUP_TTL_MS, quotas });
    if (this.liveLookups.size > 4096) this.liveLookups.delete(this.liveLookups.keys().next().value!);
    return quotas;
  }

  private async charge(info: ResourceInfo, obj: Obj, dryRun: boolean): Promise<void> {
    const ns = obj.metadata.namespace ?? "";
    const usage = usageOf(info.group, info.resource, obj);
    if (!usage.size) return;
    // Most namespaces have no quota on what is created: those creates need not wait in line.
    const quotas = await this.quotasOf(ns);
    if (!quotas.some((q) => quotaApplies(q, info.group, info.resource, obj) && Object.keys(q.spec?.hard ?? {}).some((n) => usage.has(n)))) return;
    const previous = this.queues.get(ns) ?? Promise.resolve();
    const turn = previous.then(() => this.check(info, obj, usage, dryRun));
    const settled = turn.catch(() => undefined);
    this.queues.set(ns, settled);
    void settled.then(() => { if (this.queues.get(ns) === settled) this.queues.delete(ns); });
    await turn;
  }

  private async check(info: ResourceInfo, obj: Obj, usage: Map<string, number>, dryRun: boolean): Promise<void> {
    const quotas = (await this.store.list(obj.metadata.namespace ?? "")).sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    const charges: { quota: ResourceQuotaObject; names: string[] }[] = [];
    for (const quota of quotas) {
      if (!quotaApplies(quota, info.group, info.resource, obj)) continue;
      const hard: Record<string, string> = quota.spec?.hard ?? {};
      const names = Object.keys(hard).filter((n) => usage.has(n)).sort();
      if (!names.length) continue;
      if (info.resource === "pods" && info.group === "") this.requireRequests(obj, quota, names);
      const used: Record<string, string> = quota.status?.used ?? {};
      const unknown = names.filter((n) => used[n] === undefined);
      if (unknown.length) throw this.forbidden(info, obj, `status unknown for quota: ${quota.metadata?.name}, resources: ${unknown.join(",")}`);
      const exceeded = names.filter((n) => quotaAmount(n, used[n]) + usage.get(n)! > quotaAmount(n, hard[n]));
      if (exceeded.length) {
        const list = (f: (n: string) => string) => exceeded.map((n) => `${n}=${f(n)}`).join(",");
        throw this.forbidden(info, obj, `exceeded quota: ${quota.metadata?.name}, requested: ${list((n) => formatAmount(n, usage.get(n)!))}, used: ${list((n) => used[n]!)}, limited: ${list((n) => hard[n]!)}`);
      }
      charges.push({ quota, names });
    }
    if (dryRun) return;
    for (const { quota, names } of charges) {
      await this.store.charge(quota, (used) => {
        const next = { ...used };
        for (const n of names) next[n] = formatAmount(n, quotaAmount(n, used[n]) + usage.get(n)!);
        return next;
      });
    }
  }

  /** A quota on cpu or memory needs every container to say how much it asks for. */
  private requireRequests(pod: Obj, quota: ResourceQuotaObject, names: string[]): void {
    const missing: string[] = [];
    for (const n of names) {
      const need = REQUIRED_BY_QUOTA[n];
      if (!need) continue;
      const without = ((pod as Kube<Pod>).spec?.containers ?? []).filter((c) => c.resources?.[need[0]]?.[need[1]] === undefined).map((c) => c.name);
      if (without.length) missing.push(`${n} for: ${without.join(",")}`);
    }
    if (missing.length) throw this.forbidden({ resource: "pods" } as ResourceInfo, pod, `failed quota: ${quota.metadata?.name}: must specify ${missing.join("; ")}`);
  }

  private forbidden(info: ResourceInfo, obj: Obj, reason: string): ApiError {
    const name = obj.metadata?.name ?? "";
    const kind = info.group ? `${info.resource}.${info.group}` : info.resource;
    return new ApiError(403, "Forbidden", `${kind} "${name}" is forbidden: ${reason}`, { name, group: info.group || undefined, kind: info.resource });
  }
}
