import { type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, success, unresolvable } from "../framework.js";

export function tolerates(tolerations: Json[], taint: Json): boolean {
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

  filter(pod: Json, node: NodeInfo) {
    const tolerations = pod.spec?.tolerations ?? [];
    const taint = (node.node.spec?.taints ?? []).find((t: Json) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(tolerations, t));
    return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`) : success;
  }

  score(pod: Json, node: NodeInfo): number {
    const tolerations = pod.spec?.tolerations ?? [];
    const intolerable = (node.node.spec?.taints ?? []).filter((t: Json) => t.effect === "PreferNoSchedule" && !tolerates(tolerations, t)).length;
    return Math.max(0, 100 - intolerable * 20);
  }
}
