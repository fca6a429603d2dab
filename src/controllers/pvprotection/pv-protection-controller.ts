/**
 * Upstream's pv-protection-controller: a PersistentVolume being deleted keeps
 * its kubernetes.io/pv-protection finalizer while it is Bound to a claim,
 * and loses it (so the delete completes) once it is not; a volume without
 * the finalizer (from before StorageObjectInUseProtection) gets it.
 */
import { Resources, WorkQueue, type Informer, type KubeObject } from "../../client/index.js";
import { isNotFound } from "../../api/errors.js";
import { PV_PROTECTION_FINALIZER } from "../../api/storage-protection-finalizers.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";
import type { PersistentVolume } from "kubernetes-types/core/v1.js";

const hasFinalizer = (o: KubeObject) => (o.metadata.finalizers ?? []).includes(PV_PROTECTION_FINALIZER);
const isDeletionCandidate = (o: KubeObject) => Boolean(o.metadata.deletionTimestamp) && hasFinalizer(o);
const needsFinalizer = (o: KubeObject) => !o.metadata.deletionTimestamp && !hasFinalizer(o);

/** What the controller writes for a volume: the finalizer added or removed, or nothing. */
export function pvProtectionChange(pv: Kube<PersistentVolume>): "add" | "remove" | undefined {
  if (isDeletionCandidate(pv)) return pv.status?.phase === "Bound" ? undefined : "remove";
  return needsFinalizer(pv) ? "add" : undefined;
}

export class PvProtectionController implements Controller {
  readonly name = "pv-protection";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private volumes!: Informer<Kube<PersistentVolume>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.volumes = ctx.informers.informer<Kube<PersistentVolume>>(Resources.persistentvolumes);
    const changed = (pv: Kube<PersistentVolume>) => { if (pvProtectionChange(pv)) this.queue.add(pv.metadata.name!); };
    this.volumes.addEventHandler({ add: changed, update: (_o, pv) => changed(pv) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (name) => this.sync(name), this.ctx, "pv protection");
  }

  private async sync(name: string): Promise<void> {
    const pv = this.volumes.get(name);
    const change = pv && pvProtectionChange(pv);
    if (!pv || !change) return;
    const updated = structuredClone(pv);
    const others = (pv.metadata.finalizers ?? []).filter((f) => f !== PV_PROTECTION_FINALIZER);
    updated.metadata.finalizers = change === "add" ? [...others, PV_PROTECTION_FINALIZER] : others;
    try {
      await this.ctx.client.update(Resources.persistentvolumes, undefined, updated);
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`${change} ${PV_PROTECTION_FINALIZER} of volume ${name}`, { cause: err });
    }
    this.ctx.log(change === "add" ? "added protection finalizer to PV" : "removed protection finalizer from PV", { pv: name });
  }
}
