import { type FilterPlugin, type Json, type NodeInfo, success, unresolvable } from "../framework.js";

export const NodeUnschedulableReason = "node(s) were unschedulable";

/** NodeUnschedulable: a cordoned node takes only pods that tolerate node.kubernetes.io/unschedulable. */
export class NodeUnschedulable implements FilterPlugin {
  readonly name = "NodeUnschedulable";
  filter(pod: Json, node: NodeInfo) {
    if (!node.node.spec?.unschedulable) return success;
    const tolerated = (pod.spec?.tolerations ?? []).some((t: Json) =>
      (t.key === "node.kubernetes.io/unschedulable" || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoSchedule"));
    return tolerated ? success : unresolvable(NodeUnschedulableReason);
  }
}
