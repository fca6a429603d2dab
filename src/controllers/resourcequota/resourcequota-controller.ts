/**
 * The ResourceQuota controller: each quota's status.hard mirrors spec.hard and
 * status.used counts what its namespace holds (object counts, and the
 * requests and limits of its non-terminal pods).
 */
import type { ResourceQuota, ResourceQuotaStatus } from "kubernetes-types/core/v1.js";
import { formatAmount, isPodComputeName, quotaApplies, usageOf } from "../../api/resource-quota.js";
import { Resources, WorkQueue, type Informer, type KubeObject, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, splitKey, runQueue } from "../controller.js";

const quotas: ResourceRef = { group: "", version: "v1", resource: "resourcequotas", namespaced: true };

const RESYNC_MS = 5 * 60_000;

/** The resources whose objects a quota can count. */
const COUNTED: ResourceRef[] = [
  Resources.pods, Resources.services, Resources.configmaps, { group: "", version: "v1", resource: "secrets", namespaced: true },
  Resources.persistentvolumeclaims, Resources.replicationcontrollers, quotas,
  Resources.deployments, Resources.replicasets, Resources.statefulsets, Resources.jobs, Resources.cronjobs,
];

/** Which resource's objects a quota name counts. */
function sourceOf(name: string): ResourceRef | undefined {
  if (name.startsWith("count/")) {
    const [resource, ...group] = name.slice("count/".length).split(".");
    return COUNTED.find((r) => r.resource === resource && r.group === group.join("."));
  }
  if (isPodComputeName(name)) return Resources.pods;
  if (name.startsWith("services.")) return Resources.services;
  if (name === "requests.storage") return Resources.persistentvolumeclaims;
  return COUNTED.find((r) => r.group === "" && r.resource === name);
}

export class ResourceQuotaController implements Controller {
  readonly name = "resourcequota";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private quotas!: Informer<Kube<ResourceQuota>>;
  /** The objects of every counted resource, of any kind. */
  private readonly counted = new Map<ResourceRef, Informer<KubeObject>>();

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.quotas = ctx.informers.informer<Kube<ResourceQuota>>(quotas);
    // Only a change of the limits calls for a recount: status.used is also written by the quota admission.
    this.quotas.addEventHandler({ add: (q) => this.queue.add(keyOf(q)), update: (o, q) => { if (JSON.stringify(o.spec?.hard) !== JSON.stringify(q.spec?.hard)) this.queue.add(keyOf(q)); } });
    // As upstream's replenishment: creates are charged by the admission, so only what gives usage back (a delete,
    // a pod finishing, a smaller request) calls for a recount. Recounting on creates would race the admission's
    // charges with informers that have not seen the new objects yet, and let concurrent creates overshoot.
    const touch = (o: KubeObject) => { for (const q of this.quotas.list(o.metadata.namespace)) this.queue.add(keyOf(q)); };
    for (const ref of COUNTED) {
      const inf: Informer<KubeObject> = ref === quotas ? this.quotas : ctx.informers.informer(ref);
      this.counted.set(ref, inf);
      const usage = (o: KubeObject) => JSON.stringify([...usageOf(ref.group, ref.resource, o)]);
      if (ref === quotas) inf.addEventHandler({ delete: touch });
      else inf.addEventHandler({ update: (o, n) => { if (usage(o) !== usage(n)) touch(n); }, delete: touch });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    // A full recount now and then, as upstream's resync, mends any drift.
    const resync = setInterval(() => { for (const q of this.quotas.list()) this.queue.add(keyOf(q)); }, RESYNC_MS);
    signal.addEventListener("abort", () => clearInterval(resync), { once: true });
    await runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "resourcequota");
    clearInterval(resync);
  }

  private async sync(key: string): Promise<void> {
    const quota = this.quotas.get(key);
    if (!quota) return;
    const [ns] = splitKey(key);
    const hard = quota.spec?.hard ?? {};
    const used: Record<string, string> = {};
    for (const name of Object.keys(hard)) {
      const ref = sourceOf(name);
      if (!ref) continue;
      const objects = (this.counted.get(ref)?.list(ns) ?? []).filter((o) => quotaApplies(quota, ref.group, ref.resource, o));
      used[name] = formatAmount(name, objects.reduce((n, o) => n + (usageOf(ref.group, ref.resource, o).get(name) ?? 0), 0));
    }
    const status: ResourceQuotaStatus = { hard, used };
    if (JSON.stringify(status) === JSON.stringify(quota.status ?? {})) return;
    await this.ctx.client.update(quotas, ns, { ...quota, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(key); });
  }
}
