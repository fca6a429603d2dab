/**
 * The ReplicaSet controller: keeps spec.replicas active pods matching the
 * set, created from its template and owned by it, and reports their counts.
 * The same code, given another kind, is the ReplicationController controller.
 */
import { labelSelectorRequirements, matchesLabels } from "../../api/selectors.js";
import { Resources, WorkQueue, type Informer, type ResourceRef } from "../../client/index.js";
import {
  type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, isPodActive, isPodAvailable, isPodReady, keyOf, nowTime, runQueue, splitKey,
} from "../controller.js";
import { Expectations } from "./expectations.js";
import { claimObjects, enqueueMatchingControllers, selectorOf } from "../controller-ref-manager.js";
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from "kubernetes-types/apps/v1.js";
import type { Pod, ReplicationController } from "kubernetes-types/core/v1.js";

/** What the controller keeps replicas of: a ReplicaSet, or a ReplicationController (the same fields but the selector's form). */
type ReplicatedSet = Kube<ReplicaSet> | Kube<ReplicationController>;

/** Pods created or deleted in one sync at most, as upstream's burstReplicas. */
const BURST = 500;

export interface ReplicaSetKind { name: string; kind: string; apiVersion: string; resource: ResourceRef }

export const replicaSetKind: ReplicaSetKind = { name: "replicaset", kind: "ReplicaSet", apiVersion: "apps/v1", resource: Resources.replicasets };
export const replicationControllerKind: ReplicaSetKind = { name: "replicationcontroller", kind: "ReplicationController", apiVersion: "v1", resource: Resources.replicationcontrollers };

export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly queue = new WorkQueue();
  private readonly expectations = new Expectations();
  private ctx!: ControllerContext;
  private sets!: Informer<ReplicatedSet>;
  private pods!: Informer<Kube<Pod>>;

  constructor(private readonly kind: ReplicaSetKind = replicaSetKind) {
    this.name = kind.name;
  }

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.sets = ctx.informers.informer<ReplicatedSet>(this.kind.resource);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.sets.addEventHandler({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (_o, rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => { this.expectations.forget(keyOf(rs)); this.queue.add(keyOf(rs)); },
    });
    const ownerKey = (p: Kube<Pod>) => {
      const ref = controllerOf(p);
      return ref?.kind === this.kind.kind ? `${p.metadata.namespace}/${ref.name}` : undefined;
    };
    this.pods.addEventHandler({
      add: (p) => { const k = ownerKey(p); if (k) { this.expectations.creationObserved(k); this.queue.add(k); } },
      update: (o, p) => {
        const k = ownerKey(p);
        if (k) this.queue.add(k);
        const ok = ownerKey(o);
        if (ok && ok !== k) this.queue.add(ok);
        if (k && p.metadata.deletionTimestamp && !o.metadata.deletionTimestamp) this.expectations.deletionObserved(k);
      },
      delete: (p) => { const k = ownerKey(p); if (k) { if (!p.metadata.deletionTimestamp) this.expectations.deletionObserved(k); this.queue.add(k); } },
    });
    // An orphan that the set's selector matches is the set's to adopt.
    enqueueMatchingControllers(this.pods, this.sets, this.queue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 5, (key) => this.sync(key), this.ctx, this.kind.name);
  }

  private async sync(key: string): Promise<number | void> {
    const rs = this.sets.get(key);
    if (!rs) { this.expectations.forget(key); return; }
    const [namespace] = splitKey(key);
    // Active pods only, as upstream: a finished pod is neither adopted nor released.
    const active = await claimObjects(this.pods.list(namespace).filter(isPodActive), {
      client: this.ctx.client, controller: rs, kind: this.kind, dependents: Resources.pods, selector: selectorOf(rs),
    });
    let failure: { reason: string; message: string } | undefined;
    if (!rs.metadata.deletionTimestamp && this.expectations.satisfied(key)) {
      try {
        await this.manageReplicas(rs, key, active);
      } catch (err) {
        // Shown as upstream does, on the set (ReplicaFailure), then retried with backoff.
        failure = { reason: (rs.spec?.replicas ?? 1) > active.length ? "FailedCreate" : "FailedDelete", message: err instanceof Error ? err.message : String(err) };
        await this.updateStatus(rs, active, failure);
        throw err;
      }
    }
    return this.updateStatus(rs, active, failure);
  }

  private async manageReplicas(rs: ReplicatedSet, key: string, active: Kube<Pod>[]): Promise<void> {
    const want = rs.spec?.replicas ?? 1;
    const diff = want - active.length;
    const ns = rs.metadata.namespace as string;
    if (diff > 0) {
      const n = Math.min(diff, BURST);
      this.expectations.expect(key, n, 0);
      // Slow start, as upstream: batches of 1, 2, 4, ... so a failing template fails cheaply.
      let created = 0;
      for (let batch = 1; created < n; batch *= 2) {
        const size = Math.min(batch, n - created);
        const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(rs)));
        const failed = results.filter((r) => r.status === "rejected");
        created += size;
        if (failed.length) {
          this.expectations.lower(key, failed.length + (n - created), 0);
          const reason = (failed[0] as PromiseRejectedResult).reason;
          this.ctx.recorder.event(rs, "Warning", "FailedCreate", `Error creating: ${reason instanceof Error ? reason.message : String(reason)}`);
          throw reason;
        }
      }
    } else if (diff < 0) {
      const victims = [...active].sort(deletionOrder).slice(0, Math.min(-diff, BURST));
      this.expectations.expect(key, 0, victims.length);
      await Promise.all(victims.map(async (p) => {
        try {
          await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!);
          this.ctx.recorder.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${p.metadata.name}`);
        } catch (err) {
          this.expectations.lower(key, 0, 1);
          if ((err as { code?: number }).code !== 404) throw err;
        }
      }));
    }
  }

  private async createPod(rs: ReplicatedSet): Promise<void> {
    const t = structuredClone(rs.spec!.template ?? {});
    const pod = {
      metadata: {
        generateName: `${rs.metadata.name}-`,
        labels: t.metadata?.labels, annotations: t.metadata?.annotations,
        ownerReferences: [controllerRef(rs, this.kind.apiVersion, this.kind.kind)],
      },
      spec: t.spec,
    };
    const created = await this.ctx.client.create(Resources.pods, rs.metadata.namespace, pod);
    this.ctx.recorder.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
  }

  private async updateStatus(rs: ReplicatedSet, active: Kube<Pod>[], failure?: { reason: string; message: string }): Promise<number | void> {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const labels = rs.spec?.template?.metadata?.labels ?? {};
    const reqs = labelSelectorRequirements({ matchLabels: labels });
    const status: ReplicaSetStatus = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matchesLabels(reqs, p.metadata.labels)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation,
    };
    const current: ReplicaSetCondition[] = rs.status?.conditions ?? [];
    const others = current.filter((c) => c.type !== "ReplicaFailure");
    const previous = current.find((c) => c.type === "ReplicaFailure");
    const conditions: ReplicaSetCondition[] = failure
      ? [...others, previous?.reason === failure.reason && previous.message === failure.message ? previous : { type: "ReplicaFailure", status: "True", lastTransitionTime: nowTime(), ...failure }]
      : others;
    if (conditions.length) status.conditions = conditions;
    const old: Partial<ReplicaSetStatus> = rs.status ?? {};
    const same = (["replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"] as const).every((k) => (old[k] ?? 0) === (status[k] ?? 0))
      && JSON.stringify(old.conditions ?? []) === JSON.stringify(conditions);
    if (!same) {
      try {
        await this.ctx.client.update(this.kind.resource, rs.metadata.namespace, { ...rs, status }, "status");
      } catch (err) {
        const code = (err as { code?: number }).code;
        // A conflict means the cache is behind a write (the deployment controller scaling, say): look again.
        if (code === 409) this.queue.add(keyOf(rs));
        else if (code !== 404) throw err;
      }
    }
    // Pods that are ready but not yet available need another look once minReadySeconds pass.
    if (minReady && status.readyReplicas !== status.availableReplicas) return minReady * 1000;
  }
}

/** Upstream's deletion preference: unscheduled, then pending, then not ready, then the newest. */
function deletionOrder(a: Kube<Pod>, b: Kube<Pod>): number {
  const rank = (p: Kube<Pod>) => (!p.spec?.nodeName ? 0 : p.status?.phase === "Pending" ? 1 : !isPodReady(p) ? 2 : 3);
  return rank(a) - rank(b) || Date.parse(String(b.metadata.creationTimestamp)) - Date.parse(String(a.metadata.creationTimestamp));
}
