/**
 * The ResourceQuota controller: each quota's status.hard mirrors spec.hard and
 * status.used counts what its namespace holds (object counts, and the
 * requests and limits of its non-terminal pods).
 */
import { formatAmount, usageOf } from "../../api/resource-quota.js";
import { Resources, WorkQueue, type Informer, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Obj, keyOf, splitKey, runQueue } from "../controller.js";

const quotas: ResourceRef = { group: "", version: "v1", resource: "resourcequotas", namespaced: true };

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
  if (/^(requests\.|limits\.)?(cpu|memory)$/.test(name)) return Resources.pods;
  if (name.startsWith("services.")) return Resources.services;
  if (name === "requests.storage") return Resources.persistentvolumeclaims;
  return COUNTED.find((r) => r.group === "" && r.resource === name);
}

export class ResourceQuotaController implements Controller {
  readonly name = "resourcequota";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private quotas!: Informer<Obj>;
  private readonly counted = new Map<ResourceRef, Informer<Obj>>();

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.quotas = ctx.informers.informer<Obj>(quotas);
    // Only a change of the limits calls for a recount: status.used is also written by the quota admission.
    this.quotas.addEventHandler({ add: (q) => this.queue.add(keyOf(q)), update: (o, q) => { if (JSON.stringify(o.spec?.hard) !== JSON.stringify(q.spec?.hard)) this.queue.add(keyOf(q)); } });
    const touch = (o: Obj) => { for (const q of this.quotas.list(o.metadata.namespace)) this.queue.add(keyOf(q)); };
    for (const ref of COUNTED) {
      const inf = ref === quotas ? this.quotas : ctx.informers.informer<Obj>(ref);
      this.counted.set(ref, inf);
      if (ref === quotas) inf.addEventHandler({ add: touch, delete: touch });
      else inf.addEventHandler({ add: touch, update: (_o, n) => touch(n), delete: touch });
    }
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "resourcequota");
  }

  private async sync(key: string): Promise<void> {
    const quota = this.quotas.get(key);
    if (!quota) return;
    const [ns] = splitKey(key);
    const hard: Record<string, string> = quota.spec?.hard ?? {};
    const used: Record<string, string> = {};
    for (const name of Object.keys(hard)) {
      const ref = sourceOf(name);
      if (!ref) continue;
      const objects = this.counted.get(ref)?.list(ns) ?? [];
      used[name] = formatAmount(name, objects.reduce((n, o) => n + (usageOf(ref.group, ref.resource, o).get(name) ?? 0), 0));
    }
    const status = { hard, used };
    if (JSON.stringify(status) === JSON.stringify(quota.status ?? {})) return;
    await this.ctx.client.update(quotas, ns, { ...quota, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(key); });
  }
}
