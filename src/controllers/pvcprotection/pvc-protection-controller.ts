/**
 * Upstream's pvc-protection-controller: a claim being deleted keeps its
 * kubernetes.io/pvc-protection finalizer while a pod that was scheduled
 * still names it, and loses it (so the delete completes) once none does; a
 * claim without the finalizer (from before StorageObjectInUseProtection)
 * gets it. "None does" is checked in the informer's pods and then, to be
 * sure of a pod the cache has not seen yet, in a live list.
 */
import type { PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import { Resources, WorkQueue, type Informer, type KubeObject } from "../../client/index.js";
import { isNotFound } from "../../api/errors.js";
import { PVC_PROTECTION_FINALIZER } from "../../api/storage-protection-finalizers.js";
import { type Controller, type ControllerContext, type Kube, keyOf, runQueue } from "../controller.js";

const hasFinalizer = (o: KubeObject) => (o.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER);
/** Being deleted, and held back by this controller's finalizer. */
export const isDeletionCandidate = (o: KubeObject) => Boolean(o.metadata.deletionTimestamp) && hasFinalizer(o);
export const needsFinalizer = (o: KubeObject) => !o.metadata.deletionTimestamp && !hasFinalizer(o);

/**
 * A pod done with for good: its kubelet let it go (deletion grace 0) or it
 * was force-deleted. Only its ephemeral claims are released by that, as upstream.
 */
const isShutDown = (pod: Pod) => Boolean(pod.metadata?.deletionTimestamp) && pod.metadata?.deletionGracePeriodSeconds === 0;

/**
 * Whether the pod holds the claim: only a scheduled pod can (the kubelet sees
 * no other, and will not start a pod on a claim being deleted); through a
 * persistentVolumeClaim volume, or an ephemeral volume whose claim it owns.
 */
export function podUsesClaim(pod: Pod, claim: PersistentVolumeClaim): boolean {
  if (!pod.spec?.nodeName || pod.metadata?.namespace !== claim.metadata?.namespace) return false;
  return (pod.spec.volumes ?? []).some((v) => {
    if (v.persistentVolumeClaim) return v.persistentVolumeClaim.claimName === claim.metadata?.name;
    if (!v.ephemeral || isShutDown(pod)) return false;
    const ownedByPod = (claim.metadata?.ownerReferences ?? []).some((r) => r.controller && r.uid === pod.metadata?.uid);
    return `${pod.metadata?.name}-${v.name}` === claim.metadata?.name && ownedByPod;
  });
}

/** The claims a pod's volumes name. */
const claimsOf = (pod: Pod) => (pod.spec?.volumes ?? []).flatMap((v) =>
  v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata?.name}-${v.name}`] : []);

export class PvcProtectionController implements Controller {
  readonly name = "pvc-protection";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private claims!: Informer<Kube<PersistentVolumeClaim>>;
  private pods!: Informer<Kube<Pod>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.claims = ctx.informers.informer<Kube<PersistentVolumeClaim>>(Resources.persistentvolumeclaims);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    const claimChanged = (c: Kube<PersistentVolumeClaim>) => { if (needsFinalizer(c) || isDeletionCandidate(c)) this.queue.add(keyOf(c)); };
    this.claims.addEventHandler({ add: claimChanged, update: (_o, c) => claimChanged(c) });
    this.pods.addEventHandler({
      add: (p) => this.podChanged(p, false),
      update: (old, p) => {
        this.podChanged(p, false);
        // An update may stand for a pod deleted and another made under its name: the old one let its claims go.
        if (old.metadata.uid !== p.metadata.uid) this.podChanged(old, true);
      },
      delete: (p) => this.podChanged(p, true),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "pvc protection");
  }

  /** Only a pod gone, finished or not scheduled can let a claim go: its claims are looked at again. */
  private podChanged(pod: Kube<Pod>, deleted: boolean): void {
    const terminated = pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    if (!deleted && !terminated && pod.spec?.nodeName) return;
    for (const name of claimsOf(pod)) this.queue.add(`${pod.metadata.namespace}/${name}`);
  }

  private async sync(key: string): Promise<void> {
    const claim = this.claims.get(key);
    if (!claim) return;
    if (isDeletionCandidate(claim) && !(await this.inUse(claim))) {
      return this.setFinalizer(claim, false);
    }
    if (needsFinalizer(claim)) await this.setFinalizer(claim, true);
  }

  private async inUse(claim: PersistentVolumeClaim): Promise<boolean> {
    const ns = claim.metadata!.namespace!;
    if (this.pods.list(ns).some((p) => podUsesClaim(p, claim))) return true;
    const live = await this.ctx.client.list<Kube<Pod>>(Resources.pods, ns);
    return live.items.some((p) => podUsesClaim(p, claim));
  }

  private async setFinalizer(claim: Kube<PersistentVolumeClaim>, present: boolean): Promise<void> {
    const updated = structuredClone(claim);
    const others = (claim.metadata.finalizers ?? []).filter((f) => f !== PVC_PROTECTION_FINALIZER);
    updated.metadata.finalizers = present ? [...others, PVC_PROTECTION_FINALIZER] : others;
    try {
      await this.ctx.client.update(Resources.persistentvolumeclaims, claim.metadata.namespace, updated);
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`${present ? "add" : "remove"} ${PVC_PROTECTION_FINALIZER} of claim ${keyOf(claim)}`, { cause: err });
    }
    this.ctx.log(present ? "added protection finalizer to PVC" : "removed protection finalizer from PVC", { pvc: keyOf(claim) });
  }
}
