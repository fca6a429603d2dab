/**
 * The StatefulSet controller: pods with stable names (<set>-<ordinal>),
 * hostnames under the governing Service, PersistentVolumeClaims from the
 * claim templates, created in order and removed in reverse (OrderedReady) or
 * all at once (Parallel), and rolling updates from the highest ordinal down
 * to the partition. The claims' owners follow persistentVolumeClaimRetentionPolicy:
 * owned by the set when whenDeleted is Delete, by their condemned pod when
 * whenScaled is Delete, so the garbage collector removes them with it.
 */
import { Resources, WorkQueue, type Informer, type KubeObject } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, isPodAvailable, isPodReady, keyOf, splitKey, runQueue, enqueueOwner } from "../controller.js";
import { REVISION_HASH_LABEL, ensureRevision, revisionHash } from "../revisions.js";
import { claimObjects, enqueueMatchingControllers, selectorOf } from "../controller-ref-manager.js";
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "kubernetes-types/apps/v1.js";
import type { PersistentVolumeClaim, Pod, PodSpec, PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { OwnerReference } from "kubernetes-types/meta/v1.js";

const ordinalOf = (setName: string, pod: KubeObject) => {
  const m = new RegExp(`^${setName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)$`).exec(pod.metadata.name!);
  return m ? Number(m[1]) : -1;
};

export class StatefulSetController implements Controller {
  readonly name = "statefulset";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private sets!: Informer<Kube<StatefulSet>>;
  private pods!: Informer<Kube<Pod>>;
  private revisions!: Informer<Kube<ControllerRevision>>;
  private claims!: Informer<Kube<PersistentVolumeClaim>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.sets = ctx.informers.informer<Kube<StatefulSet>>(Resources.statefulsets);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.revisions = ctx.informers.informer<Kube<ControllerRevision>>(Resources.controllerrevisions);
    this.claims = ctx.informers.informer<Kube<PersistentVolumeClaim>>(Resources.persistentvolumeclaims);
    this.sets.addEventHandler({ add: (s) => this.queue.add(keyOf(s)), update: (_o, s) => this.queue.add(keyOf(s)) });
    enqueueOwner(this.pods, "StatefulSet", this.queue);
    // An orphan is the set's only when its selector matches and the pod bears one of its ordinal names.
    enqueueMatchingControllers(this.pods, this.sets, this.queue, (set, p) => ordinalOf(set.metadata.name!, p) >= 0);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 4, (key) => this.sync(key), this.ctx, "statefulset");
  }

  private async sync(key: string): Promise<number | void> {
    const set = this.sets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const [ns] = splitKey(key);
    const name = set.metadata.name!;
    const replicas = set.spec?.replicas ?? 1;
    const parallel = set.spec?.podManagementPolicy === "Parallel";
    // Pods are labelled with the revision's name, <set>-<hash>, as status.updateRevision names it.
    const updateRevision = `${name}-${revisionHash(set.spec!.template)}`;
    await ensureRevision(this.ctx.client, set, "StatefulSet", this.revisions.list(ns).filter((r) => controllerOf(r)?.uid === set.metadata.uid));
    const pods = new Map<number, Kube<Pod>>();
    const claimed = await claimObjects(this.pods.list(ns), {
      client: this.ctx.client, controller: set, kind: { apiVersion: "apps/v1", kind: "StatefulSet", resource: Resources.statefulsets }, dependents: Resources.pods,
      selector: selectorOf(set), filter: (p) => ordinalOf(name, p) >= 0,
    });
    for (const p of claimed) pods.set(ordinalOf(name, p), p);
    const healthy = (p: Kube<Pod> | undefined) => p !== undefined && !p.metadata.deletionTimestamp && p.status?.phase === "Running" && isPodReady(p);

    // Create what is missing, in order: under OrderedReady, wait for each predecessor to be Running and Ready.
    const current = this.currentRevision(set, updateRevision);
    for (let i = 0; i < replicas; i++) {
      const p = pods.get(i);
      if (!p) {
        const [revision, template] = this.keepsCurrentRevision(set, i) ? current : [updateRevision, set.spec!.template];
        const created = await this.createPod(set, i, revision, template);
        if (created) pods.set(i, created);
        if (!parallel) return this.updateStatus(set, pods, updateRevision);
        continue;
      }
      if (p.status?.phase === "Failed" || p.status?.phase === "Succeeded") {
        await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
        if (!parallel) return this.updateStatus(set, pods, updateRevision);
      }
      if (!parallel && !healthy(p)) return this.updateStatus(set, pods, updateRevision);
    }
    // Claims get their owners before any pod is removed, so that a condemned pod takes its claims along.
    await this.claimOwners(set, pods, replicas);
    // Remove ordinals past replicas, the highest first.
    const extra = [...pods.keys()].filter((i) => i >= replicas).sort((a, b) => b - a);
    for (const i of extra) {
      const p = pods.get(i)!;
      if (!p.metadata.deletionTimestamp) {
        await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
        this.ctx.recorder.event(set, "Normal", "SuccessfulDelete", `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`);
      }
      if (!parallel) return this.updateStatus(set, pods, updateRevision);
    }
    // Rolling update: the highest ordinal on an old revision goes first, down to the partition.
    if ((set.spec?.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate") {
      const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      for (let i = replicas - 1; i >= partition; i--) {
        const p = pods.get(i);
        if (!p || atRevision(p, updateRevision)) continue;
        if (p.metadata.deletionTimestamp) break;
        await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
        break;
      }
    }
    return this.updateStatus(set, pods, updateRevision);
  }

  /**
   * The revision the set rolled out last, with its template from the
   * ControllerRevision: what a pod below the partition is made from again
   * when it is deleted mid-update. The update revision when there is none.
   */
  private currentRevision(set: Kube<StatefulSet>, updateRevision: string): [string, PodTemplateSpec] {
    const name = set.status?.currentRevision;
    const revision = name && name !== updateRevision ? this.revisions.get(`${set.metadata.namespace}/${name}`) : undefined;
    const data = revision?.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
    if (!revision || controllerOf(revision)?.uid !== set.metadata.uid || !data?.spec?.template) return [updateRevision, set.spec!.template];
    const { $patch: _replace, ...template } = data.spec.template;
    return [name!, template];
  }

  /** Upstream's newVersionedStatefulSetPod: under a RollingUpdate, ordinals below the partition (or the current replicas) stay at the current revision. */
  private keepsCurrentRevision(set: Kube<StatefulSet>, ordinal: number): boolean {
    const strategy = set.spec?.updateStrategy;
    if ((strategy?.type ?? "RollingUpdate") !== "RollingUpdate") return false;
    return strategy?.rollingUpdate ? ordinal < (strategy.rollingUpdate.partition ?? 0) : ordinal < (set.status?.currentReplicas ?? 0);
  }

  /** The owners a claim should have under the retention policy (upstream's updateClaimOwnerRefs). */
  private async claimOwners(set: Kube<StatefulSet>, pods: Map<number, Kube<Pod>>, replicas: number): Promise<void> {
    const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
    const ns = set.metadata.namespace!;
    for (const [ordinal, pod] of pods) {
      for (const template of set.spec?.volumeClaimTemplates ?? []) {
        const claim = this.claims.get(`${ns}/${templateName(template)}-${pod.metadata.name}`);
        if (!claim || claim.metadata.deletionTimestamp) continue;
        const current: OwnerReference[] = claim.metadata.ownerReferences ?? [];
        const others = current.filter((r) => r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
        const wanted = [...others];
        if (policy.whenDeleted === "Delete") wanted.push(ownerRef(set, "apps/v1", "StatefulSet"));
        if (policy.whenScaled === "Delete" && ordinal >= replicas) wanted.push(ownerRef(pod, "v1", "Pod"));
        if (JSON.stringify(current.map((r) => r.uid).sort()) === JSON.stringify(wanted.map((r) => r.uid).sort())) continue;
        // An update of the cached claim, guarded by its resourceVersion, as upstream's role allows (update, not patch).
        const metadata = { ...claim.metadata, ownerReferences: wanted.length ? wanted : undefined };
        await this.ctx.client.update(Resources.persistentvolumeclaims, ns, { ...claim, metadata }).catch((err) => { if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err; this.queue.add(keyOf(set)); });
      }
    }
  }

  private async createPod(set: Kube<StatefulSet>, ordinal: number, revision: string, template: PodTemplateSpec): Promise<Kube<Pod> | undefined> {
    const ns = set.metadata.namespace!;
    const name = `${set.metadata.name}-${ordinal}`;
    const setSpec = set.spec!;
    const t = structuredClone(template);
    const spec: Partial<PodSpec> = t.spec ?? {};
    spec.hostname = name;
    if (setSpec.serviceName) spec.subdomain = setSpec.serviceName;
    for (const claim of setSpec.volumeClaimTemplates ?? []) {
      const claimName = `${templateName(claim)}-${name}`;
      await this.ctx.client.create(Resources.persistentvolumeclaims, ns, {
        metadata: {
          name: claimName, labels: { ...(setSpec.selector?.matchLabels ?? {}) },
          ...(setSpec.persistentVolumeClaimRetentionPolicy?.whenDeleted === "Delete" ? { ownerReferences: [ownerRef(set, "apps/v1", "StatefulSet")] } : {}),
        },
        spec: claim.spec,
      }).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
      spec.volumes = [...(spec.volumes ?? []).filter((v) => v.name !== templateName(claim)), { name: templateName(claim), persistentVolumeClaim: { claimName } }];
    }
    const created = await this.ctx.client.create<Kube<Pod>>(Resources.pods, ns, {
      metadata: {
        name,
        labels: { ...(t.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: revision, "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": String(ordinal) },
        annotations: t.metadata?.annotations,
        ownerReferences: [controllerRef(set, "apps/v1", "StatefulSet")],
      },
      spec,
    }).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; return undefined; });
    this.ctx.recorder.event(set, "Normal", "SuccessfulCreate", `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
    return created;
  }

  /**
   * Status as upstream's: currentRevision stays the revision the set rolled
   * out last until every pod is updated and ready (a RollingUpdate completed),
   * then becomes updateRevision; currentReplicas and updatedReplicas count the
   * pods of each.
   */
  private async updateStatus(set: Kube<StatefulSet>, pods: Map<number, Kube<Pod>>, updateRevision: string): Promise<void> {
    // As upstream's computeReplicaStatus: replicas and readiness count terminating pods too (a pod deleted for
    // the update is still there), the revisions only pods that stay.
    const all = [...pods.values()];
    const live = all.filter((p) => !p.metadata.deletionTimestamp);
    const [ns] = splitKey(keyOf(set));
    const known = new Set(this.revisions.list(ns).filter((r) => controllerOf(r)?.uid === set.metadata.uid).map((r) => r.metadata.name));
    let currentRevision = set.status?.currentRevision && known.has(set.status.currentRevision) ? set.status.currentRevision : updateRevision;
    const updated = live.filter((p) => atRevision(p, updateRevision)).length;
    let current = live.filter((p) => atRevision(p, currentRevision)).length;
    const ready = all.filter(isPodReady).length;
    if ((set.spec?.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate" && updated === all.length && ready === all.length) {
      currentRevision = updateRevision;
      current = updated;
    }
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation,
      replicas: all.length,
      readyReplicas: ready,
      availableReplicas: all.filter((p) => isPodReady(p) && isPodAvailable(p, set.spec?.minReadySeconds ?? 0)).length,
      currentReplicas: current,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
      collisionCount: set.status?.collisionCount ?? 0,
    };
    for (const k of ["readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"] as const) if (!status[k]) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(set.status ?? {})) return;
    await this.ctx.client.update(Resources.statefulsets, set.metadata.namespace, { ...set, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(keyOf(set)); });
  }
}

/** The pod was made from the revision; pods labelled before with the bare hash count too. */
function atRevision(pod: KubeObject, revision: string): boolean {
  const label = pod.metadata.labels?.[REVISION_HASH_LABEL];
  return label === revision || (label !== undefined && revision.endsWith(`-${label}`));
}

/** A plain (non-controller) owner reference, as upstream puts on retained-or-deleted claims. */
function ownerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid! };
}

/** A claim template's name, which validation requires. */
const templateName = (template: PersistentVolumeClaim) => template.metadata!.name!;
