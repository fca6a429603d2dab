import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, type NodeInfo, success, unresolvable } from "../framework.js";

export const NodeNameReason = "node(s) didn't match the requested node name";

/** NodeName: a pod that names its node fits only there. */
export class NodeName implements FilterPlugin {
  readonly name = "NodeName";
  filter(pod: Kube<Pod>, node: NodeInfo) {
    return !pod.spec?.nodeName || pod.spec.nodeName === node.name ? success : unresolvable(NodeNameReason);
  }
}
