/**
 * The ResourceQuota controller: each quota's status.hard mirrors spec.hard and
 * status.used counts what its namespace holds (object counts, and the
 * requests and limits of its non-terminal pods).
 */
import { milliCPU, parseQuantity } from "../../api/quantity.js";
import { Resources, WorkQueue, type Informer, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Json, type Obj, keyOf, splitKey, runQueue } from "../controller.js";

const quotas: ResourceRef = { group: "", version: "v1", resource: "resourcequotas", namespaced: true };

/** Object counts a quota can name, and where those objects live. */
const COUNTED: Record<string, ResourceRef> = {
  pods: Resources.pods, services: Resources.services, configmaps: Resources.configmaps,
  secrets: { group: "", version: "v1", resource: "secrets", namespaced: true },
  persistentvolumeclaims: Resources.persistentvolumeclaims, replicationcontrollers: Resources.replicationcontrollers,
  "count/deployments.apps": Resources.deployments, "count/replicasets.apps": Resources.replicasets,
  "count/statefulsets.apps": Resources.statefulsets, "count/jobs.batch": Resources.jobs, "count/cronjobs.batch": Resources.cronjobs,
};

function formatCPU(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

function formatMemory(bytes: number): string {
  for (const [suffix, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}

export class ResourceQuotaController implements Controller {
  readonly name = "resourcequota";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private quotas!: Informer<Obj>;
  private readonly counted = new Map<string, Informer<Obj>>();

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.quotas = ctx.informers.informer<Obj>(quotas);
    this.quotas.addEventHandler({ add: (q) => this.queue.add(keyOf(q)), update: (_o, q) => this.queue.add(keyOf(q)) });
    const touch = (o: Obj) => { for (const q of this.quotas.list(o.metadata.namespace)) this.queue.add(keyOf(q)); };
    for (const [name, ref] of Object.entries(COUNTED)) {
      const inf = ctx.informers.informer<Obj>(ref);
      this.counted.set(name, inf);
      inf.addEventHandler({ add: touch, update: (_o, n) => touch(n), delete: touch });
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
    const pods = (this.counted.get("pods")?.list(ns) ?? []).filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const sum = (which: "requests" | "limits", resource: string) => pods.reduce((n, p) => n + (p.spec?.containers ?? [])
      .reduce((m: number, c: Json) => m + (resource === "cpu" ? milliCPU(c.resources?.[which]?.cpu ?? "0") : parseQuantity(c.resources?.[which]?.memory ?? "0")), 0), 0);
    for (const name of Object.keys(hard)) {
      if (name === "pods") used[name] = String(pods.length);
      else if (COUNTED[name]) used[name] = String(this.counted.get(name)?.list(ns).length ?? 0);
      else if (name === "cpu" || name === "requests.cpu") used[name] = formatCPU(sum("requests", "cpu"));
      else if (name === "memory" || name === "requests.memory") used[name] = formatMemory(sum("requests", "memory"));
      else if (name === "limits.cpu") used[name] = formatCPU(sum("limits", "cpu"));
      else if (name === "limits.memory") used[name] = formatMemory(sum("limits", "memory"));
    }
    const status = { hard, used };
    if (JSON.stringify(status) === JSON.stringify(quota.status ?? {})) return;
    await this.ctx.client.update(quotas, ns, { ...quota, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(key); });
  }
}
