import type { Pod, Taint, Toleration } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, type NodeInfo, type ScorePlugin, defaultNormalizeScore, success, unresolvable } from "../framework.js";

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === "Exists") return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
  });
}

/**
 * TaintToleration: NoSchedule and NoExecute taints keep out pods that do not
 * tolerate them; PreferNoSchedule taints lower a node's score.
 */
export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = "TaintToleration";
  readonly weight = 3;

  filter(pod: Kube<Pod>, node: NodeInfo) {
    const tolerations = pod.spec?.tolerations ?? [];
    const taint = (node.node.spec?.taints ?? []).find((t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tolerations, t));
    return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`) : success;
  }

  /** The raw score is the number of PreferNoSchedule taints the pod does not tolerate. */
  score(pod: Kube<Pod>, node: NodeInfo): number {
    const taints = node.node.spec?.taints;
    if (!taints?.length) return 0;
    const tolerations = pod.spec?.tolerations ?? [];
    let intolerable = 0;
    for (const t of taints) if (t.effect === "PreferNoSchedule" && !tolerates(tolerations, t)) intolerable++;
    return intolerable;
  }

  /** The node with the most such taints gets 0, a node without any 100. */
  normalizeScore(scores: number[]): void {
    defaultNormalizeScore(scores, true);
  }
}
