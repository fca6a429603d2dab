/**
 * The Deployment controller: one ReplicaSet per pod template (named by the
 * template's hash), revisions in annotations, rolling updates within
 * maxSurge and maxUnavailable, Recreate, pause, history cleanup, and status
 * with the Available and Progressing conditions, as `kubectl rollout` reads them.
 */
import { jsonEqual } from "../../api/json-equal.js";
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, keyOf, nowTime, splitKey, runQueue, enqueueOwner } from "../controller.js";
import { claimObjects, enqueueMatchingControllers, selectorOf } from "../controller-ref-manager.js";
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from "kubernetes-types/apps/v1.js";
import { byRevision, DESIRED_REPLICAS, HASH_LABEL, MAX_REPLICAS, REVISION, copiedAnnotations, newReplicaSetAnnotations, proportionalSizes, revisionOf, surgeAndUnavailable, templateHash, templateWithoutHash } from "./util.js";

export class DeploymentController implements Controller {
  readonly name = "deployment";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private deployments!: Informer<Kube<Deployment>>;
  private sets!: Informer<Kube<ReplicaSet>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.deployments = ctx.informers.informer<Kube<Deployment>>(Resources.deployments);
    this.sets = ctx.informers.informer<Kube<ReplicaSet>>(Resources.replicasets);
    this.deployments.addEventHandler({ add: (d) => this.queue.add(keyOf(d)), update: (_o, d) => this.queue.add(keyOf(d)), delete: (d) => this.queue.add(keyOf(d)) });
    enqueueOwner(this.sets, "Deployment", this.queue);
    enqueueMatchingControllers(this.sets, this.deployments, this.queue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 5, (key) => this.sync(key), this.ctx, "deployment");
  }

  /** The Deployment's ReplicaSets: those it owns and still selects, and orphans it selects, adopted. */
  private ownedSets(d: Kube<Deployment>): Promise<Kube<ReplicaSet>[]> {
    const [ns] = splitKey(keyOf(d));
    return claimObjects(this.sets.list(ns), {
      client: this.ctx.client, controller: d, kind: { apiVersion: "apps/v1", kind: "Deployment", resource: Resources.deployments }, dependents: Resources.replicasets, selector: selectorOf(d),
    });
  }

  private async sync(key: string): Promise<number | void> {
    const d = this.deployments.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const sets = await this.ownedSets(d);
    let newRS = sets.find((rs) => jsonEqual(templateWithoutHash(rs.spec?.template), templateWithoutHash(d.spec?.template)));
    const old = sets.filter((rs) => rs !== newRS);
    const maxRevision = old.map(revisionOf).reduce((max, r) => (r > max ? r : max), 0n);
    if (this.isScalingEvent(d, sets)) {
      await this.resize(d, newRS, old);
      return this.syncStatus(d, newRS, old);
    }
    if (d.spec?.paused) return this.syncStatus(d, newRS, old);
    if (!newRS) {
      newRS = await this.createNewReplicaSet(d, old, maxRevision + 1n);
      if (!newRS) return;
    } else {
      // The Deployment's annotations follow to its new set; after a rollback the old template's set is the newest revision again.
      const annotations = newReplicaSetAnnotations(d, newRS, revisionOf(newRS) <= maxRevision ? maxRevision + 1n : revisionOf(newRS));
      if (annotations) newRS = await this.ctx.client.update<Kube<ReplicaSet>>(Resources.replicasets, newRS.metadata.namespace, { ...newRS, metadata: { ...newRS.metadata, annotations } });
    }
    // kubectl's rollout history and undo read the revision on the Deployment itself.
    const revision = String(revisionOf(newRS));
    if (d.metadata.annotations?.[REVISION] !== revision) {
      // An update of the cached copy through status, as upstream's controller writes it (its role allows update, not
      // patch; a status write keeps the generation, which an annotation change would bump); a conflict requeues.
      const annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: revision };
      await this.ctx.client.update(Resources.deployments, d.metadata.namespace, { ...d, metadata: { ...d.metadata, annotations } }, "status");
      return;
    }
    if (d.spec?.strategy?.type === "Recreate") await this.recreate(d, newRS, old);
    else await this.rollingUpdate(d, newRS, old);
    await this.cleanup(d, old);
    return this.syncStatus(d, newRS, old);
  }

  /** The Deployment was resized: some set with replicas was last sized for another count (upstream's isScalingEvent). */
  private isScalingEvent(d: Kube<Deployment>, sets: Kube<ReplicaSet>[]): boolean {
    const want = String(d.spec?.replicas ?? 1);
    return sets.some((rs) => (rs.spec?.replicas ?? 0) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS] !== want);
  }

  /**
   * A resize, as upstream's scale(): one active set takes the whole count; a
   * saturated new set means the old ones go to zero; mid-rollout the change is
   * shared among the active sets in proportion (proportionalSizes).
   */
  private async resize(d: Kube<Deployment>, newRS: Kube<ReplicaSet> | undefined, old: Kube<ReplicaSet>[]): Promise<void> {
    const want = d.spec?.replicas ?? 1;
    const active = [...(newRS ? [newRS] : []), ...old].filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...old].sort(byRevision).at(-1);
      if (target) await this.scale(d, target, want);
      return;
    }
    const desired = (rs: Kube<ReplicaSet>) => rs.metadata.annotations?.[DESIRED_REPLICAS];
    if (newRS && newRS.spec?.replicas === want && desired(newRS) === String(want) && newRS.status?.availableReplicas === want) {
      for (const rs of old) if ((rs.spec?.replicas ?? 0) > 0) await this.scale(d, rs, 0);
      return;
    }
    if (d.spec?.strategy?.type === "Recreate") return;
    const sizes = proportionalSizes(d, active);
    for (const rs of active) await this.scale(d, rs, sizes.get(rs.metadata.name!) ?? rs.spec?.replicas ?? 0);
  }

  private async createNewReplicaSet(d: Kube<Deployment>, old: Kube<ReplicaSet>[], revision: bigint): Promise<Kube<ReplicaSet> | undefined> {
    // A stored Deployment has a spec (validation requires its selector and template).
    const spec = d.spec!;
    const hash = templateHash(spec.template, d.status?.collisionCount ?? 0);
    const template = structuredClone(spec.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const selector = structuredClone(spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const { maxSurge } = surgeAndUnavailable(d);
    const replicas = d.spec?.strategy?.type === "Recreate" ? 0 : this.newReplicaCount(d, 0, old);
    const rs = {
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        labels: template.metadata.labels,
        annotations: { ...copiedAnnotations(d), [DESIRED_REPLICAS]: String(spec.replicas ?? 1), [MAX_REPLICAS]: String((spec.replicas ?? 1) + maxSurge), [REVISION]: String(revision) },
        ownerReferences: [controllerRef(d, "apps/v1", "Deployment")],
      },
      spec: { replicas, minReadySeconds: spec.minReadySeconds ?? 0, selector, template },
    };
    try {
      const created = await this.ctx.client.create<Kube<ReplicaSet>>(Resources.replicasets, d.metadata.namespace, rs);
      if (replicas > 0) this.ctx.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
      return created;
    } catch (err) {
      if ((err as { code?: number }).code === 409) {
        // A set of that name exists with another template: count the collision and try another name next time.
        await this.ctx.client.update(Resources.deployments, d.metadata.namespace, { ...d, status: { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 } }, "status").catch(() => undefined);
        return undefined;
      }
      throw err;
    }
  }

  /** How many replicas the new set may have now, within maxSurge. */
  private newReplicaCount(d: Kube<Deployment>, current: number, old: Kube<ReplicaSet>[]): number {
    const want = d.spec?.replicas ?? 1;
    const { maxSurge } = surgeAndUnavailable(d);
    const total = current + old.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    const room = want + maxSurge - total;
    return Math.max(current, Math.min(want, current + Math.max(0, room)));
  }

  /** Sizes a set, and marks it with the Deployment size it was sized for (so a later resize is seen as one). */
  private async scale(d: Kube<Deployment>, rs: Kube<ReplicaSet>, replicas: number): Promise<Kube<ReplicaSet>> {
    const from = rs.spec?.replicas ?? 0;
    const { maxSurge } = surgeAndUnavailable(d);
    const want = d.spec!.replicas ?? 1;
    const annotations = rs.metadata.annotations ?? {};
    const marked = annotations[DESIRED_REPLICAS] === String(want) && annotations[MAX_REPLICAS] === String(want + maxSurge);
    if (from === replicas && marked) return rs;
    const updated = await this.ctx.client.update<Kube<ReplicaSet>>(Resources.replicasets, rs.metadata.namespace, {
      ...rs,
      metadata: { ...rs.metadata, annotations: { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS]: String(want), [MAX_REPLICAS]: String(want + maxSurge) } },
      spec: { ...rs.spec, replicas },
    });
    if (from !== replicas) this.ctx.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled ${replicas > from ? "up" : "down"} replica set ${rs.metadata.name} from ${from} to ${replicas}`);
    return updated;
  }

  private async recreate(d: Kube<Deployment>, newRS: Kube<ReplicaSet>, old: Kube<ReplicaSet>[]): Promise<void> {
    for (const rs of old) if ((rs.spec?.replicas ?? 0) > 0) await this.scale(d, rs, 0);
    const oldPods = old.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
    if (oldPods === 0) await this.scale(d, newRS, d.spec?.replicas ?? 1);
  }

  private async rollingUpdate(d: Kube<Deployment>, newRS: Kube<ReplicaSet>, old: Kube<ReplicaSet>[]): Promise<void> {
    const want = d.spec?.replicas ?? 1;
    const { maxUnavailable } = surgeAndUnavailable(d);
    // Scale up the new set as far as maxSurge allows.
    const target = this.newReplicaCount(d, newRS.spec?.replicas ?? 0, old);
    if (target !== (newRS.spec?.replicas ?? 0)) newRS = await this.scale(d, newRS, target);
    if ((newRS.spec?.replicas ?? 0) > want) newRS = await this.scale(d, newRS, want);
    // Scale down old sets without going under want - maxUnavailable available pods (upstream's reconcileOldReplicaSets).
    const all = [newRS, ...old];
    const totalSpec = all.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
    const minAvailable = want - maxUnavailable;
    const newUnavailable = (newRS.spec?.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
    let maxScaledDown = totalSpec - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    // Old pods that are not available cost nothing to remove: take them first, within that bound.
    const oldest = [...old].sort(byRevision);
    for (const rs of oldest) {
      if (maxScaledDown <= 0) break;
      const spec = rs.spec?.replicas ?? 0;
      const unhealthy = spec - (rs.status?.availableReplicas ?? 0);
      if (spec === 0 || unhealthy <= 0) continue;
      const cut = Math.min(unhealthy, maxScaledDown);
      await this.scale(d, rs, spec - cut);
      rs.spec = { ...rs.spec!, replicas: spec - cut };
      maxScaledDown -= cut;
    }
    const available = all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let room = available - minAvailable;
    for (const rs of oldest) {
      if (room <= 0) break;
      const spec = rs.spec?.replicas ?? 0;
      if (spec === 0) continue;
      const cut = Math.min(spec, room);
      await this.scale(d, rs, spec - cut);
      room -= cut;
    }
  }

  private async cleanup(d: Kube<Deployment>, old: Kube<ReplicaSet>[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp)
      .sort(byRevision);
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await this.ctx.client.delete(Resources.replicasets, rs.metadata.namespace, rs.metadata.name!).catch(() => undefined);
    }
  }

  private async syncStatus(d: Kube<Deployment>, newRS: Kube<ReplicaSet> | undefined, old: Kube<ReplicaSet>[]): Promise<number | void> {
    const all = newRS ? [newRS, ...old] : old;
    const sum = (f: (rs: Kube<ReplicaSet>) => number) => all.reduce((n, rs) => n + f(rs), 0);
    const want = d.spec?.replicas ?? 1;
    const { maxUnavailable } = surgeAndUnavailable(d);
    const replicas = sum((rs) => rs.status?.replicas ?? 0);
    const available = sum((rs) => rs.status?.availableReplicas ?? 0);
    const updated = newRS?.status?.replicas ?? 0;
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      replicas, updatedReplicas: updated,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, want - available),
    };
    if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
    for (const k of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] as const) if (!status[k]) delete status[k];
    const conditions: DeploymentCondition[] = structuredClone(d.status?.conditions ?? []);
    const setCondition = (type: string, value: string, reason: string, message: string) => {
      const now = nowTime();
      const i = conditions.findIndex((c) => c.type === type);
      const prev = conditions[i];
      const changed = !prev || prev.status !== value;
      const c = { type, status: value, lastUpdateTime: prev && prev.reason === reason && !changed ? prev.lastUpdateTime : now, lastTransitionTime: changed ? now : prev!.lastTransitionTime, reason, message };
      if (i >= 0) conditions[i] = c; else conditions.push(c);
    };
    if (available >= want - maxUnavailable) setCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
    else setCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
    const complete = newRS && updated === want && replicas === want && available >= want && (newRS.status?.observedGeneration ?? 0) >= (newRS.metadata.generation ?? 0);
    if (d.spec?.paused) setCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
    else if (complete) setCondition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${newRS!.metadata.name}" has successfully progressed.`);
    else if (newRS) {
      // Progress is any change of the counts; without it for progressDeadlineSeconds the rollout has failed.
      const prev = conditions.find((c) => c.type === "Progressing");
      const counts = (s: DeploymentStatus | undefined) => (["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] as const).map((k) => s?.[k] ?? 0).join("/");
      const progressed = counts(status) !== counts(d.status) || prev?.reason === "NewReplicaSetCreated" || !prev;
      const deadline = d.spec?.progressDeadlineSeconds;
      const since = Date.parse(prev?.lastUpdateTime ?? "") || Date.now();
      if (prev?.reason === "ProgressDeadlineExceeded" && !progressed) {
        // stays failed until something moves
      } else if (!progressed && deadline !== undefined && since + deadline * 1000 <= Date.now()) {
        setCondition("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`);
        this.ctx.recorder.event(d, "Warning", "ProgressDeadlineExceeded", `Deployment "${d.metadata.name}" has timed out progressing.`);
      } else {
        setCondition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${newRS.metadata.name}" is progressing.`);
        if (progressed) conditions.find((c) => c.type === "Progressing")!.lastUpdateTime = nowTime();
      }
    }
    status.conditions = conditions.sort((a, b) => (a.type === "Available" ? -1 : b.type === "Available" ? 1 : 0));
    const strip = (s: DeploymentStatus | undefined) => { const c: DeploymentStatus = structuredClone(s ?? {}); for (const x of c.conditions ?? []) { delete x.lastUpdateTime; delete x.lastTransitionTime; } return c; };
    if (!jsonEqual(strip(status), strip(d.status))) {
      try {
        await this.ctx.client.update(Resources.deployments, d.metadata.namespace, { ...d, status }, "status");
      } catch (err) {
        if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err;
        if ((err as { code?: number }).code === 409) this.queue.add(keyOf(d));
      }
    }
    // During a rollout, availability (minReadySeconds) and the progress deadline change by the clock alone.
    if (!complete && !d.spec?.paused) {
      const waits = [(d.spec?.minReadySeconds ?? 0) * 1000, (d.spec?.progressDeadlineSeconds ?? 0) * 1000].filter((w) => w > 0);
      if (waits.length) return Math.min(...waits, 30_000);
    }
  }
}
