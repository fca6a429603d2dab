import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, type NodeInfo, success, unresolvable } from "../framework.js";

export const NodeUnschedulableReason = "node(s) were unschedulable";

/** NodeUnschedulable: a cordoned node takes only pods that tolerate node.kubernetes.io/unschedulable. */
export class NodeUnschedulable implements FilterPlugin {
  readonly name = "NodeUnschedulable";
  filter(pod: Kube<Pod>, node: NodeInfo) {
    if (!node.node.spec?.unschedulable) return success;
    const tolerated = (pod.spec?.tolerations ?? []).some((t) =>
      (t.key === "node.kubernetes.io/unschedulable" || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoSchedule"));
    return tolerated ? success : unresolvable(NodeUnschedulableReason);
  }
}
