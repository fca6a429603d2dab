/**
 * The resources Skiff serves: one entry per group/version/resource, as
 * discovery advertises it. Custom resources are added at run time from CRDs.
 */
import type { WebhookClientConfig } from "kubernetes-types/admissionregistration/v1.js";

export interface SubresourceInfo {
  name: string;
  verbs: string[];
  /** Kind served by the subresource when it is not the parent's (Scale, Binding, Eviction). */
  kind?: { group: string; version: string; kind: string };
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural, lower-case name in URLs. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: SubresourceInfo[];
  verbs: string[];
  /** Storage prefix, shared by every version of one resource. */
  storagePrefix: string;
  /** Set for custom resources. */
  crd?: CustomResourceInfo;
  /** Served by an extension API server through an APIService: proxied, never stored here. */
  aggregated?: boolean;
}

export interface CustomResourceInfo {
  schema?: unknown;
  preserveUnknownFields: boolean;
  printerColumns: { name: string; type: string; jsonPath: string; description?: string; priority?: number; format?: string }[];
  /** The version's selectableFields: field selector name (`spec.color`) to the JSONPath it reads (`.spec.color`). */
  selectableFields?: Record<string, string>;
  scaleSpecReplicasPath?: string;
  scaleStatusReplicasPath?: string;
  scaleLabelSelectorPath?: string;
  /** The CRD is being deleted: its objects are served until they are gone, but none may be created. */
  terminating?: boolean;
  /** The warning every request of a deprecated version gets (versions[].deprecated). */
  deprecationWarning?: string;
  /** The version objects are stored in (the CRD's storage: true). */
  storageVersion?: string;
  /** spec.conversion.webhook when the strategy is Webhook: objects in another version are converted by it. */
  conversionWebhook?: { clientConfig: WebhookClientConfig; conversionReviewVersions: string[] };
}

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const rw = ["get", "patch", "update"];
const status: SubresourceInfo = { name: "status", verbs: rw };
const scale: SubresourceInfo = { name: "scale", verbs: rw, kind: { group: "autoscaling", version: "v1", kind: "Scale" } };
const proxySubresource = (kind: string): SubresourceInfo => ({ name: "proxy", verbs: ["create", "delete", "get", "patch", "update"], kind: { group: "", version: "v1", kind } });

interface Def {
  kind: string;
  resource?: string;
  cluster?: boolean;
  short?: string[];
  all?: boolean;
  /** Categories besides "all" (which `all` sets). */
  categories?: string[];
  sub?: SubresourceInfo[];
  verbs?: string[];
  storage?: string;
}

function define(group: string, versions: string[], defs: Def[]): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const version of versions) {
    for (const d of defs) {
      const resource = d.resource ?? pluralize(d.kind);
      out.push({
        group, version, kind: d.kind, resource,
        singular: d.kind.toLowerCase(),
        namespaced: !d.cluster,
        shortNames: d.short,
        categories: d.all ? ["all"] : d.categories,
        subresources: d.sub ?? [],
        verbs: d.verbs ?? ALL_VERBS,
        storagePrefix: d.storage ?? `/registry/${resource}`,
      });
    }
  }
  return out;
}

export function pluralize(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith("s") || k.endsWith("x") || k.endsWith("ch") || k.endsWith("sh")) return k + "es";
  if (k.endsWith("y") && !/[aeiou]y$/.test(k)) return k.slice(0, -1) + "ies";
  return k + "s";
}

const podSubresources: SubresourceInfo[] = [
  status,
  { name: "binding", verbs: ["create"], kind: { group: "", version: "v1", kind: "Binding" } },
  { name: "eviction", verbs: ["create"], kind: { group: "policy", version: "v1", kind: "Eviction" } },
  { name: "log", verbs: ["get"] },
  { name: "exec", verbs: ["create", "get"], kind: { group: "", version: "v1", kind: "PodExecOptions" } },
  { name: "attach", verbs: ["create", "get"], kind: { group: "", version: "v1", kind: "PodAttachOptions" } },
  { name: "portforward", verbs: ["create", "get"], kind: { group: "", version: "v1", kind: "PodPortForwardOptions" } },
  { name: "ephemeralcontainers", verbs: rw },
  proxySubresource("PodProxyOptions"),
];

export const builtinResources: ResourceInfo[] = [
  ...define("", ["v1"], [
    { kind: "Namespace", cluster: true, short: ["ns"], sub: [status, { name: "finalize", verbs: ["update"] }], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] },
    { kind: "Pod", short: ["po"], all: true, sub: podSubresources },
    { kind: "Binding", verbs: ["create"] },
    { kind: "Service", short: ["svc"], all: true, sub: [status, proxySubresource("ServiceProxyOptions")] },
    { kind: "Endpoints", resource: "endpoints", short: ["ep"] },
    { kind: "ConfigMap", short: ["cm"] },
    { kind: "Secret" },
    { kind: "Node", cluster: true, short: ["no"], sub: [status, proxySubresource("NodeProxyOptions")] },
    { kind: "Event", short: ["ev"] },
    { kind: "ServiceAccount", short: ["sa"], sub: [{ name: "token", verbs: ["create"], kind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" } }] },
    { kind: "PersistentVolume", cluster: true, short: ["pv"], sub: [status] },
    { kind: "PersistentVolumeClaim", short: ["pvc"], sub: [status] },
    { kind: "LimitRange", short: ["limits"] },
    { kind: "ResourceQuota", short: ["quota"], sub: [status] },
    // Deprecated since 1.19, still served: computed on each read (apiserver/component-statuses.ts).
    { kind: "ComponentStatus", resource: "componentstatuses", cluster: true, short: ["cs"], verbs: ["get", "list"] },
    { kind: "ReplicationController", short: ["rc"], all: true, sub: [status, scale] },
    { kind: "PodTemplate" },
  ]),
  ...define("apps", ["v1"], [
    { kind: "Deployment", short: ["deploy"], all: true, sub: [status, scale] },
    { kind: "ReplicaSet", short: ["rs"], all: true, sub: [status, scale] },
    { kind: "StatefulSet", short: ["sts"], all: true, sub: [status, scale] },
    { kind: "DaemonSet", short: ["ds"], all: true, sub: [status] },
    { kind: "ControllerRevision" },
  ]),
  ...define("batch", ["v1"], [
    { kind: "Job", all: true, sub: [status] },
    { kind: "CronJob", short: ["cj"], all: true, sub: [status] },
  ]),
  ...define("autoscaling", ["v2", "v1"], [
    { kind: "HorizontalPodAutoscaler", short: ["hpa"], all: true, sub: [status] },
  ]),
  ...define("networking.k8s.io", ["v1"], [
    { kind: "Ingress", short: ["ing"], sub: [status] },
    { kind: "IngressClass", cluster: true },
    { kind: "NetworkPolicy", short: ["netpol"] },
  ]),
  ...define("discovery.k8s.io", ["v1"], [{ kind: "EndpointSlice" }]),
  ...define("coordination.k8s.io", ["v1"], [{ kind: "Lease" }]),
  ...define("events.k8s.io", ["v1"], [{ kind: "Event", short: ["ev"], storage: "/registry/events" }]),
  ...define("policy", ["v1"], [{ kind: "PodDisruptionBudget", short: ["pdb"], sub: [status] }]),
  ...define("rbac.authorization.k8s.io", ["v1"], [
    { kind: "Role" }, { kind: "RoleBinding" },
    { kind: "ClusterRole", cluster: true }, { kind: "ClusterRoleBinding", cluster: true },
  ]),
  ...define("storage.k8s.io", ["v1"], [{ kind: "StorageClass", cluster: true, short: ["sc"] }]),
  ...define("scheduling.k8s.io", ["v1"], [{ kind: "PriorityClass", cluster: true, short: ["pc"] }]),
  ...define("node.k8s.io", ["v1"], [{ kind: "RuntimeClass", cluster: true }]),
  ...define("certificates.k8s.io", ["v1"], [
    { kind: "CertificateSigningRequest", cluster: true, short: ["csr"], sub: [status, { name: "approval", verbs: ["get", "patch", "update"] }] },
  ]),
  ...define("admissionregistration.k8s.io", ["v1"], [
    { kind: "MutatingWebhookConfiguration", cluster: true, categories: ["api-extensions"] },
    { kind: "ValidatingWebhookConfiguration", cluster: true, categories: ["api-extensions"] },
  ]),
  ...define("apiextensions.k8s.io", ["v1"], [{ kind: "CustomResourceDefinition", cluster: true, short: ["crd", "crds"], sub: [status] }]),
  ...define("apiregistration.k8s.io", ["v1"], [{ kind: "APIService", cluster: true, categories: ["api-extensions"], sub: [status] }]),
  // CEL admission policies (the webhook configurations of this group are defined with the webhooks).
  ...define("admissionregistration.k8s.io", ["v1"], [
    { kind: "ValidatingAdmissionPolicy", cluster: true, sub: [status] },
    { kind: "ValidatingAdmissionPolicyBinding", cluster: true },
  ]),
  // Served from the kubelets' summaries, as metrics-server serves them upstream (kubectl top).
  ...define("metrics.k8s.io", ["v1beta1"], [
    { kind: "NodeMetrics", resource: "nodes", cluster: true, verbs: ["get", "list"], storage: "/registry/metrics.k8s.io/nodes" },
    { kind: "PodMetrics", resource: "pods", verbs: ["get", "list"], storage: "/registry/metrics.k8s.io/pods" },
  ]),
  ...define("authentication.k8s.io", ["v1"], [
    { kind: "SelfSubjectReview", cluster: true, verbs: ["create"] },
    { kind: "TokenReview", cluster: true, verbs: ["create"] },
  ]),
  ...define("authorization.k8s.io", ["v1"], [
    { kind: "SelfSubjectAccessReview", cluster: true, verbs: ["create"] },
    { kind: "SelfSubjectRulesReview", cluster: true, verbs: ["create"] },
    { kind: "SubjectAccessReview", cluster: true, verbs: ["create"] },
  ]),
];

/** Kinds that are answered by the server and never stored. */
export const virtualKinds = new Set([
  "Binding", "SelfSubjectReview", "TokenReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview",
  "NodeMetrics", "PodMetrics", "ComponentStatus",
]);

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function hasSubresource(r: ResourceInfo, name: string): boolean {
  return r.subresources.some((s) => s.name === name);
}
