/**
 * What every node may do regardless of the graph: the `system:node`
 * ClusterRole's rules, upstream's bootstrappolicy NodeRules() (v1.32, with
 * DynamicResourceAllocation and ClusterTrustBundle off, as their defaults).
 * The Node authorizer and NodeRestriction admission narrow them further.
 */
import type { Attributes, ResourceRule } from "../authorizer.js";

const read = ["get", "list", "watch"];

export const NODE_RULES: ResourceRule[] = [
  // API access checks: these creates change nothing.
  { verbs: ["create"], apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"] },
  { verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews", "localsubjectaccessreviews"] },
  // The services of a pod's environment variables.
  { verbs: read, apiGroups: [""], resources: ["services"] },
  // Registering its Node and reporting status (NodeRestriction keeps a node to its own).
  { verbs: ["create", "get", "list", "watch"], apiGroups: [""], resources: ["nodes"] },
  { verbs: ["update", "patch"], apiGroups: [""], resources: ["nodes/status"] },
  { verbs: ["update", "patch"], apiGroups: [""], resources: ["nodes"] },
  { verbs: ["create", "update", "patch"], apiGroups: [""], resources: ["events"] },
  { verbs: read, apiGroups: [""], resources: ["pods"] },
  // Mirror pods, pod status and evictions (NodeRestriction: pods bound to the node).
  { verbs: ["create", "delete"], apiGroups: [""], resources: ["pods"] },
  { verbs: ["update", "patch"], apiGroups: [""], resources: ["pods/status"] },
  { verbs: ["create"], apiGroups: [""], resources: ["pods/eviction"] },
  // Narrowed by the graph.
  { verbs: read, apiGroups: [""], resources: ["secrets", "configmaps"] },
  { verbs: ["get"], apiGroups: [""], resources: ["persistentvolumeclaims", "persistentvolumes"] },
  { verbs: ["get"], apiGroups: [""], resources: ["endpoints"] },
  // Its client certificate's renewal.
  { verbs: ["create", "get", "list", "watch"], apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"] },
  { verbs: ["get", "create", "update", "patch", "delete"], apiGroups: ["coordination.k8s.io"], resources: ["leases"] },
  { verbs: ["get"], apiGroups: ["storage.k8s.io"], resources: ["volumeattachments"] },
  { verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"] },
  { verbs: ["get", "update", "patch"], apiGroups: [""], resources: ["persistentvolumeclaims/status"] },
  { verbs: ["get", "watch", "list"], apiGroups: ["storage.k8s.io"], resources: ["csidrivers"] },
  { verbs: ["get", "create", "update", "patch", "delete"], apiGroups: ["storage.k8s.io"], resources: ["csinodes"] },
  { verbs: ["get", "list", "watch"], apiGroups: ["node.k8s.io"], resources: ["runtimeclasses"] },
];

/** Whether a resource rule covers the request, as upstream's rbac.RuleAllows. */
export function ruleAllows(attrs: Attributes, rule: ResourceRule): boolean {
  if (!attrs.resourceRequest) return false;
  if (!rule.verbs.includes("*") && !rule.verbs.includes(attrs.verb)) return false;
  const groups = rule.apiGroups ?? [];
  if (!groups.includes("*") && !groups.includes(attrs.apiGroup)) return false;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const resources = rule.resources ?? [];
  const resourceMatch = resources.some((r) => r === "*" || r === combined || (attrs.subresource !== "" && r === `*/${attrs.subresource}`));
  if (!resourceMatch) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(attrs.name);
}

export const rulesAllow = (attrs: Attributes, rules: ResourceRule[]) => rules.some((r) => ruleAllows(attrs, r));
