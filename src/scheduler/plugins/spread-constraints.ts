/**
 * A pod's topology spread constraints as PodTopologySpread reads them
 * (upstream's common.go): the label selector (with matchLabelKeys merged in;
 * a constraint without a selector matches no pod), minDomains, and the node
 * inclusion policies; and the system defaults for pods that name none.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import { labelSelectorRequirements, type Requirement } from "../../api/selectors.js";
import type { Kube } from "../../client/index.js";
import type { Selector } from "../topology-counts.js";
import type { NodeInfo } from "../framework.js";
import { NodeAffinity } from "./node-affinity.js";
import { TaintToleration } from "./taint-toleration.js";

export const HOSTNAME_LABEL = "kubernetes.io/hostname";
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export type Action = "DoNotSchedule" | "ScheduleAnyway";

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  minDomains: number;
  /** undefined: the constraint selects no pod (it has no labelSelector). */
  selector?: Selector;
  /** Honor: only nodes that match the pod's required node affinity count (the default). */
  nodeAffinityPolicy: "Honor" | "Ignore";
  /** Honor: only nodes whose NoSchedule and NoExecute taints the pod tolerates count (default Ignore). */
  nodeTaintsPolicy: "Honor" | "Ignore";
}

/** Upstream's system-default constraints, both ScheduleAnyway: they only score. */
export const SYSTEM_DEFAULT_CONSTRAINTS = [
  { topologyKey: HOSTNAME_LABEL, maxSkew: 3 },
  { topologyKey: ZONE_LABEL, maxSkew: 5 },
] as const;

const selectorOf = (pod: Kube<Pod>, topologyKey: string, reqs: Requirement[]): Selector =>
  ({ reqs, namespaces: new Set([pod.metadata.namespace!]), topologyKey, skipTerminating: true });

const parsed = new WeakMap<object, Map<Action, Constraint[]>>();

/** The pod's own constraints for one action, parsed once per pod object. */
export function podConstraints(pod: Kube<Pod>, action: Action): Constraint[] {
  let perPod = parsed.get(pod);
  if (!perPod) parsed.set(pod, (perPod = new Map()));
  let out = perPod.get(action);
  if (!out) perPod.set(action, (out = parseConstraints(pod, action)));
  return out;
}

function parseConstraints(pod: Kube<Pod>, action: Action): Constraint[] {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  return own.filter((c) => (c.whenUnsatisfiable ?? "DoNotSchedule") === action).map((c): Constraint => {
    // matchLabelKeys: the pod's own values of those labels narrow the selector (and make one where there is none).
    const labels = pod.metadata.labels ?? {};
    const byKeys = (c.matchLabelKeys ?? []).flatMap((k): Requirement[] => (labels[k] === undefined ? [] : [{ key: k, op: "=", values: [labels[k]] }]));
    const selector = c.labelSelector || byKeys.length
      ? selectorOf(pod, c.topologyKey, [...byKeys, ...(c.labelSelector ? labelSelectorRequirements(c.labelSelector) : [])])
      : undefined;
    return {
      maxSkew: c.maxSkew ?? 1, topologyKey: c.topologyKey, minDomains: c.minDomains ?? 1, selector,
      nodeAffinityPolicy: c.nodeAffinityPolicy === "Ignore" ? "Ignore" : "Honor",
      nodeTaintsPolicy: c.nodeTaintsPolicy === "Honor" ? "Honor" : "Ignore",
    };
  });
}

/** The system defaults over the pod's siblings (reqs: the default selector); none when it has no siblings to count. */
export function defaultConstraints(pod: Kube<Pod>, reqs: Requirement[]): Constraint[] {
  if (!reqs.length) return [];
  return SYSTEM_DEFAULT_CONSTRAINTS.map((d) => ({
    maxSkew: d.maxSkew, topologyKey: d.topologyKey, minDomains: 1, selector: selectorOf(pod, d.topologyKey, reqs),
    nodeAffinityPolicy: "Honor", nodeTaintsPolicy: "Ignore",
  }));
}

const affinity = new NodeAffinity();
const taints = new TaintToleration();

/** Whether the pod's node affinity or nodeSelector narrows the nodes (so Honor excludes some). */
export const hasRequiredNodeAffinity = (pod: Kube<Pod>) => Object.keys(pod.spec?.nodeSelector ?? {}).length > 0
  || Boolean(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution);

/** Whether the constraint's policies leave out some nodes for this pod: then counts cannot come from the cluster-wide ones. */
export const narrowsNodes = (pod: Kube<Pod>, c: Constraint) =>
  (c.nodeAffinityPolicy === "Honor" && hasRequiredNodeAffinity(pod)) || c.nodeTaintsPolicy === "Honor";

/** Whether the node's pods count for the constraint (upstream's matchNodeInclusionPolicies). */
export function includesNode(pod: Kube<Pod>, c: Constraint, node: NodeInfo): boolean {
  if (c.nodeAffinityPolicy === "Honor" && hasRequiredNodeAffinity(pod) && affinity.filter(pod, node).code !== "Success") return false;
  if (c.nodeTaintsPolicy === "Honor" && taints.filter(pod, node).code !== "Success") return false;
  return true;
}
