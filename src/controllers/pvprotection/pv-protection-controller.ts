/**
 * Upstream's pv-protection-controller: a PersistentVolume being deleted keeps
 * its kubernetes.io/pv-protection finalizer while it is Bound to a claim,
 * and loses it (so the delete completes) once it is not; a volume without
 * the finalizer (from before StorageObjectInUseProtection) gets it.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { isNotFound } from "../../api/errors.js";
import { PV_PROTECTION_FINALIZER } from "../../api/storage-protection-finalizers.js";
import { type Controller, type ControllerContext, type Obj, runQueue } from "../controller.js";

const hasFinalizer = (o: Obj) => (o.metadata.finalizers ?? []).includes(PV_PROTECTION_FINALIZER);
const isDeletionCandidate = (o: Obj) => Boolean(o.metadata.deletionTimestamp) && hasFinalizer(o);
const needsFinalizer = (o: Obj) => !o.metadata.deletionTimestamp && !hasFinalizer(o);

/** What the controller writes for a volume: the finalizer added or removed, or nothing. */
export function pvProtectionChange(pv: Obj): "add" | "remove" | undefined {
  if (isDeletionCandidate(pv)) return pv.status?.phase === "Bound" ? undefined : "remove";
  return needsFinalizer(pv) ? "add" : undefined;
}

export class PvProtectionController implements Controller {
  readonly name = "pv-protection";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private volumes!: Informer<Obj>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.volumes = ctx.informers.informer<Obj>(Resources.persistentvolumes);
    const changed = (pv: Obj) => { if (pvProtectionChange(pv)) this.queue.add(pv.metadata.name!); };
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
    const others = (pv.metadata.finalizers ?? []).filter((f: string) => f !== PV_PROTECTION_FINALIZER);
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
