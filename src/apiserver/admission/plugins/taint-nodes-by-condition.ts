/**
 * Upstream's TaintNodesByCondition: a new Node starts with the
 * node.kubernetes.io/not-ready:NoSchedule taint, so that nothing is placed
 * there before its kubelet reports Ready; the node lifecycle controller
 * takes the taint off when it does (and keeps every condition's taint after).
 */
import type { Node } from "kubernetes-types/core/v1.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

export const NOT_READY_TAINT_KEY = "node.kubernetes.io/not-ready";

export class TaintNodesByCondition implements AdmissionPlugin {
  readonly name = "TaintNodesByCondition";

  admit(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource || a.info.group !== "" || a.info.resource !== "nodes") return;
    const node = a.object as Node;
    const spec = (node.spec ??= {});
    // A taint of that key and effect already there, whatever its value, is enough (upstream's MatchTaint).
    if ((spec.taints ?? []).some((t) => t.key === NOT_READY_TAINT_KEY && t.effect === "NoSchedule")) return;
    spec.taints = [...(spec.taints ?? []), { key: NOT_READY_TAINT_KEY, effect: "NoSchedule" }];
  }
}
