/**
 * The ResourceQuota controller: each quota's status.hard mirrors spec.hard and
 * status.used counts what its namespace holds (object counts, and the
 * requests and limits of its non-terminal pods). `count/<resource>.<group>` of
 * any other resource the server serves (custom resources among them) is found
 * through discovery when a quota names it, and watched from then on, as
 * upstream's quota monitors follow discovery.
 */
import type { ResourceQuota, ResourceQuotaStatus } from "kubernetes-types/core/v1.js";
import { formatAmount, isPodComputeName, isStorageClassName, quotaApplies, usageOf } from "../../api/resource-quota.js";
import { Resources, WorkQueue, discoverResources, type DiscoveredResource, type Informer, type KubeObject, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, splitKey, runQueue } from "../controller.js";

const quotas: ResourceRef = { group: "", version: "v1", resource: "resourcequotas", namespaced: true };

const RESYNC_MS = 5 * 60_000;
/** How often discovery is asked again for a `count/` name it did not know (a CRD just made). */
const REDISCOVER_MS = 5_000;

/** The resources whose objects a quota can count. */
const COUNTED: ResourceRef[] = [
  Resources.pods, Resources.services, Resources.configmaps, { group: "", version: "v1", resource: "secrets", namespaced: true },
  Resources.persistentvolumeclaims, Resources.replicationcontrollers, quotas,
  Resources.deployments, Resources.replicasets, Resources.statefulsets, Resources.jobs, Resources.cronjobs,
];

/** The resource and group of a `count/<resource>.<group>` name. */
function countedResource(name: string): { resource: string; group: string } | undefined {
  if (!name.startsWith("count/")) return undefined;
  const [resource, ...group] = name.slice("count/".length).split(".");
  return { resource: resource!, group: group.join(".") };
}

/** Which of the always-watched resources' objects a quota name counts. */
function sourceOf(name: string): ResourceRef | undefined {
  const counted = countedResource(name);
  if (counted) return COUNTED.find((r) => r.resource === counted.resource && r.group === counted.group);
  if (isPodComputeName(name)) return Resources.pods;
  if (name.startsWith("services.")) return Resources.services;
  if (name === "requests.storage" || isStorageClassName(name)) return Resources.persistentvolumeclaims;
  return COUNTED.find((r) => r.group === "" && r.resource === name);
}

export class ResourceQuotaController implements Controller {
  readonly name = "resourcequota";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private quotas!: Informer<Kube<ResourceQuota>>;
  /** The objects of every counted resource, of any kind. */
  private readonly counted = new Map<ResourceRef, Informer<KubeObject>>();
  /** The resources found through discovery for `count/` names, by `<resource>.<group>`. */
  private readonly discovered = new Map<string, ResourceRef>();
  private discovery?: { at: number; resources: Promise<DiscoveredResource[]> };

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.quotas = ctx.informers.informer<Kube<ResourceQuota>>(quotas);
    // Only a change of the limits calls for a recount: status.used is also written by the quota admission.
    this.quotas.addEventHandler({ add: (q) => this.queue.add(keyOf(q)), update: (o, q) => { if (JSON.stringify(o.spec?.hard) !== JSON.stringify(q.spec?.hard)) this.queue.add(keyOf(q)); } });
    // As upstream's replenishment: creates are charged by the admission, so only what gives usage back (a delete,
    // a pod finishing, a smaller request) calls for a recount. Recounting on creates would race the admission's
    // charges with informers that have not seen the new objects yet, and let concurrent creates overshoot.
    for (const ref of COUNTED) this.watch(ref);
  }

  /** Keeps an informer of the resource's objects, recounting the quotas of a namespace where one changes or goes. */
  private watch(ref: ResourceRef): Informer<KubeObject> {
    const inf: Informer<KubeObject> = ref === quotas ? this.quotas : this.ctx.informers.informer(ref);
    this.counted.set(ref, inf);
    const touch = (o: KubeObject) => { for (const q of this.quotas.list(o.metadata.namespace)) this.queue.add(keyOf(q)); };
    const usage = (o: KubeObject) => JSON.stringify([...usageOf(ref.group, ref.resource, o)]);
    if (ref === quotas) inf.addEventHandler({ delete: touch });
    else inf.addEventHandler({ update: (o, n) => { if (usage(o) !== usage(n)) touch(n); }, delete: touch });
    return inf;
  }

  /** The resource of a `count/` name that is not always watched, from discovery; undefined while the server serves none. */
  private async discoveredSource(name: string): Promise<ResourceRef | undefined> {
    const counted = countedResource(name);
    if (!counted) return undefined;
    const id = `${counted.resource}.${counted.group}`;
    const known = this.discovered.get(id);
    if (known) return known;
    if (!this.discovery || Date.now() - this.discovery.at > REDISCOVER_MS) {
      this.discovery = { at: Date.now(), resources: discoverResources(this.ctx.client) };
    }
    const found = (await this.discovery.resources.catch(() => [] as DiscoveredResource[]))
      .find((r) => r.resource === counted.resource && r.group === counted.group && r.namespaced && r.verbs.includes("list") && r.verbs.includes("watch"));
    if (!found) return undefined;
    const ref: ResourceRef = { group: found.group, version: found.version, resource: found.resource, namespaced: true };
    this.discovered.set(id, ref);
    await this.watch(ref).hasSynced;
    return ref;
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
    let unresolved = false;
    for (const name of Object.keys(hard)) {
      const ref = sourceOf(name) ?? await this.discoveredSource(name);
      if (!ref) {
        // A count of a resource not served yet (its CRD is on its way): ask discovery again soon.
        unresolved ||= countedResource(name) !== undefined;
        continue;
      }
      const objects = (this.counted.get(ref)?.list(ns) ?? []).filter((o) => quotaApplies(quota, ref.group, ref.resource, o));
      used[name] = formatAmount(name, objects.reduce((n, o) => n + (usageOf(ref.group, ref.resource, o).get(name) ?? 0), 0));
    }
    if (unresolved) this.queue.addAfter(key, REDISCOVER_MS);
    const status: ResourceQuotaStatus = { hard, used };
    if (JSON.stringify(status) === JSON.stringify(quota.status ?? {})) return;
    await this.ctx.client.update(quotas, ns, { ...quota, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(key); });
  }
}
