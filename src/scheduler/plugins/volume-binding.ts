import type { NodeSelectorTerm, PersistentVolume, PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { Kube } from "../../client/index.js";
import { type CycleState, type FilterPlugin, type NodeInfo, type Status, success, unresolvable } from "../framework.js";
import { matchTerm } from "./node-affinity.js";

export const VolumeNodeAffinityConflict = "node(s) had volume node affinity conflict";
export const UnboundImmediateClaims = "pod has unbound immediate PersistentVolumeClaims";
export const SELECTED_NODE = "volume.kubernetes.io/selected-node";

/** What the plugin reads of the cluster's storage (the scheduler's informers). */
export interface VolumeListers {
  claim(namespace: string, name: string): Kube<PersistentVolumeClaim> | undefined;
  volume(name: string): Kube<PersistentVolume> | undefined;
  storageClass(name: string): Kube<StorageClass> | undefined;
}

interface State {
  /** required node affinity of each bound volume */
  boundAffinity: NodeSelectorTerm[][];
  /** claims waiting for their first consumer: provisioned once the pod has a node */
  delayed: Kube<PersistentVolumeClaim>[];
}

/** The claims a pod's volumes name (ephemeral volumes get `<pod>-<volume>` claims). */
export function podClaimNames(pod: Kube<Pod>): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata.name}-${v.name}`] : []);
}

/**
 * VolumeBinding, as far as local volumes need it: every claim must exist; a
 * bound claim's volume must allow the node (its nodeAffinity); an unbound
 * claim is fine only if its class waits for the first consumer, and is then
 * provisioned for the node the pod is given (the scheduler marks it with the
 * selected-node annotation before binding).
 */
export class VolumeBinding implements FilterPlugin {
  readonly name = "VolumeBinding";

  constructor(private readonly listers: VolumeListers) {}

  preFilter(pod: Kube<Pod>, _snapshot: unknown, state: CycleState): Status | void {
    const names = podClaimNames(pod);
    if (!names.length) return;
    const s: State = { boundAffinity: [], delayed: [] };
    for (const name of names) {
      const claim = this.listers.claim(pod.metadata.namespace!, name);
      if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (claim.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      if (claim.spec?.volumeName) {
        const pv = this.listers.volume(claim.spec.volumeName);
        const terms = pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms;
        if (terms?.length) s.boundAffinity.push(terms);
        continue;
      }
      const cls = claim.spec?.storageClassName ? this.listers.storageClass(claim.spec.storageClassName) : undefined;
      if (cls?.volumeBindingMode !== "WaitForFirstConsumer") return unresolvable(UnboundImmediateClaims);
      s.delayed.push(claim);
    }
    state.set(this.name, s);
  }

  filter(_pod: Kube<Pod>, node: NodeInfo, state: CycleState): Status {
    const s = state.get(this.name) as State | undefined;
    if (!s) return success;
    for (const terms of s.boundAffinity) if (!terms.some((t) => matchTerm(node.node, t))) return unresolvable(VolumeNodeAffinityConflict);
    return success;
  }
}
