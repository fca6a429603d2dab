/**
 * What objects count against a ResourceQuota, by upstream's resource names:
 * object counts (`pods`, `services`, ..., `count/<resource>.<group>`), the
 * compute requests and limits of pods that are not finished (cpu, memory,
 * ephemeral-storage, hugepages and extended resources, init containers and
 * overhead included as upstream's PodRequests sums them), NodePorts and load
 * balancers of Services, and storage requested by claims; and which objects a
 * scoped quota (Terminating, BestEffort, PriorityClass, ...) applies to.
 * Shared by the quota admission (charging a new object) and the ResourceQuota
 * controller.
 */
import type { Container, Pod, ResourceQuota, ResourceRequirements, ScopedResourceSelectorRequirement } from "kubernetes-types/core/v1.js";
import { milliCPU, parseQuantity } from "./quantity.js";

/** Any object a quota may count: only its metadata and the fields read below matter. */
export type QuotaCounted = { metadata?: { namespace?: string; annotations?: Record<string, string>; deletionTimestamp?: string; deletionGracePeriodSeconds?: number }; spec?: unknown; status?: unknown };

/** Core resources a quota may also name without `count/`. */
const LEGACY_COUNTS = new Set(["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"]);

const isCPU = (name: string) => name === "cpu" || name === "requests.cpu" || name === "limits.cpu";

/** A quota amount as a number: millicores for cpu, bytes or plain counts otherwise. */
export function quotaAmount(name: string, value: string | number | undefined): number {
  if (value === undefined) return 0;
  return isCPU(name) ? milliCPU(String(value)) : parseQuantity(String(value));
}

export function formatCPU(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function formatMemory(bytes: number): string {
  for (const [suffix, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  return String(bytes);
}

/** A number back in the form a quota shows it. */
export function formatAmount(name: string, n: number): string {
  if (isCPU(name)) return formatCPU(n);
  // A storage class's names are formatted by what follows the class: requests.storage or a count.
  const amount = isStorageClassName(name) ? name.slice(name.lastIndexOf("/") + 1) : name;
  if (/memory|storage|hugepages-/.test(amount)) return formatMemory(n);
  return String(n);
}

/**
 * A pod whose phase is final, or whose deletion grace period has run out,
 * no longer uses its quota (upstream's QuotaV1Pod).
 */
export function isTerminalPod(p: QuotaCounted, now = Date.now()): boolean {
  const phase = (p.status as Pod["status"])?.phase;
  if (phase === "Succeeded" || phase === "Failed") return true;
  const m = p.metadata;
  if (m?.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined) {
    return now > Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000;
  }
  return false;
}

/** Resources with a name of their own in a quota besides `requests.<name>`: the compute resources of pods. */
const STANDARD_COMPUTE = new Set(["cpu", "memory", "ephemeral-storage"]);

/** An extended resource (`example.com/dongle`): quota counts only its requests, as `requests.<name>`. */
function isExtendedResource(name: string): boolean {
  return name.includes("/") && !name.startsWith("kubernetes.io/") && !name.startsWith("requests.");
}

function isQuotaCompute(name: string): boolean {
  return STANDARD_COMPUTE.has(name) || name.startsWith("hugepages-") || isExtendedResource(name);
}

/** One container's requests or limits, by resource name. */
function amounts(c: Container, which: keyof ResourceRequirements): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, q] of Object.entries((c.resources?.[which] ?? {}) as Record<string, string | number>)) {
    if (isQuotaCompute(name)) out.set(name, quotaAmount(name === "cpu" ? "cpu" : name, q));
  }
  return out;
}

/**
 * The pod's effective requests or limits, as upstream's PodRequests/PodLimits:
 * the sum over containers (and restartable init containers, the sidecars),
 * at least the largest of the ordinary init containers (which run one at a
 * time), plus the pod's overhead.
 */
function podAmounts(pod: Pod, which: "requests" | "limits"): Map<string, number> {
  const total = new Map<string, number>();
  const add = (into: Map<string, number>, from: Map<string, number>) => { for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v); };
  for (const c of pod.spec?.containers ?? []) add(total, amounts(c, which));
  const sidecars = new Map<string, number>();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = amounts(c, which);
    if (c.restartPolicy === "Always") {
      add(total, own);
      add(sidecars, own);
      continue;
    }
    // An init container runs beside the sidecars started before it.
    for (const [k, v] of own) total.set(k, Math.max(total.get(k) ?? 0, v + (sidecars.get(k) ?? 0)));
  }
  for (const [name, q] of Object.entries((pod.spec?.overhead ?? {}) as Record<string, string | number>)) {
    if (isQuotaCompute(name) && (which === "requests" || total.has(name))) total.set(name, (total.get(name) ?? 0) + quotaAmount(name, q));
  }
  return total;
}

function podUsage(pod: Pod, usage: Map<string, number>): void {
  for (const [name, n] of podAmounts(pod, "requests")) {
    usage.set(`requests.${name}`, n);
    if (STANDARD_COMPUTE.has(name)) usage.set(name, n);
  }
  for (const [name, n] of podAmounts(pod, "limits")) {
    if (!isExtendedResource(name)) usage.set(`limits.${name}`, n);
  }
  for (const name of ["cpu", "memory"]) {
    for (const key of [name, `requests.${name}`, `limits.${name}`]) if (!usage.has(key)) usage.set(key, 0);
  }
}

/** What one object adds to its namespace's usage, by quota resource name. */
export function usageOf(group: string, resource: string, obj: QuotaCounted): Map<string, number> {
  const usage = new Map<string, number>();
  if (resource === "pods" && group === "" && isTerminalPod(obj)) return usage;
  usage.set(group ? `count/${resource}.${group}` : `count/${resource}`, 1);
  if (!group && LEGACY_COUNTS.has(resource)) usage.set(resource, 1);
  if (group) return usage;
  if (resource === "pods") {
    podUsage(obj as Pod, usage);
  } else if (resource === "services") {
    const spec = obj.spec as { type?: string; ports?: unknown[] } | undefined;
    if (spec?.type === "NodePort" || spec?.type === "LoadBalancer") usage.set("services.nodeports", (spec.ports ?? []).length);
    if (spec?.type === "LoadBalancer") usage.set("services.loadbalancers", 1);
  } else if (resource === "persistentvolumeclaims") {
    const spec = obj.spec as { storageClassName?: string; resources?: { requests?: Record<string, string> } } | undefined;
    const storage = quotaAmount("requests.storage", spec?.resources?.requests?.storage);
    usage.set("requests.storage", storage);
    // Upstream's GetPersistentVolumeClaimClass: the beta annotation first, then the field.
    const storageClass = obj.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? spec?.storageClassName ?? "";
    if (storageClass) {
      usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}/persistentvolumeclaims`, 1);
      usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}/requests.storage`, storage);
    }
  }
  return usage;
}

/** The quota names of one storage class's claims: `<class>.storageclass.storage.k8s.io/requests.storage` and `.../persistentvolumeclaims`. */
const STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io";

/** Whether the quota resource name counts claims of one storage class. */
export function isStorageClassName(name: string): boolean {
  return /\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.test(name);
}

/** Whether the quota resource name counts pods' compute resources (so the pod evaluator must supply it). */
export function isPodComputeName(name: string): boolean {
  if (STANDARD_COMPUTE.has(name)) return true;
  const m = /^(requests|limits)\.(.+)$/.exec(name);
  return m !== null && m[2] !== "storage" && isQuotaCompute(m[2]!);
}

/** Quota names that need every container of a pod to state the matching request or limit. */
export const REQUIRED_BY_QUOTA: Record<string, ["requests" | "limits", "cpu" | "memory"]> = {
  cpu: ["requests", "cpu"], "requests.cpu": ["requests", "cpu"], memory: ["requests", "memory"], "requests.memory": ["requests", "memory"],
  "limits.cpu": ["limits", "cpu"], "limits.memory": ["limits", "memory"],
};

/** The pod's QoS class: the status's when set, else computed from the spec as upstream's GetPodQOS. */
export function podQOSClass(pod: Pod): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const cs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let anySet = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
    const lim = (c.resources?.limits ?? {}) as Record<string, unknown>;
    for (const r of ["cpu", "memory"]) {
      if (req[r] !== undefined || lim[r] !== undefined) anySet = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

function hasCrossNamespaceAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  const terms = [
    ...(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
    ...(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
  ];
  return terms.some((t) => (t.namespaces ?? []).length > 0 || t.namespaceSelector !== undefined);
}

/** Upstream's podMatchesScopeFunc; validation allows only Exists for the boolean scopes, so they ignore the operator. */
function scopeMatches(req: ScopedResourceSelectorRequirement, pod: Pod): boolean {
  switch (req.scopeName) {
    case "Terminating": return pod.spec?.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds >= 0;
    case "NotTerminating": return pod.spec?.activeDeadlineSeconds === undefined;
    case "BestEffort": return podQOSClass(pod) === "BestEffort";
    case "NotBestEffort": return podQOSClass(pod) !== "BestEffort";
    case "CrossNamespacePodAffinity": return hasCrossNamespaceAffinity(pod);
    case "PriorityClass": {
      const name = pod.spec?.priorityClassName ?? "";
      switch (req.operator) {
        case "In": return (req.values ?? []).includes(name);
        case "NotIn": return !(req.values ?? []).includes(name);
        case "Exists": return name !== "";
        case "DoesNotExist": return name === "";
        default: return false;
      }
    }
    default: return false;
  }
}

/** The quota's scopes and scope selector as requirements, all of which must match. */
function scopeRequirements(quota: ResourceQuota): ScopedResourceSelectorRequirement[] {
  return [
    ...(quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: "Exists" })),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

/**
 * Whether the quota counts this object: every quota counts what its
 * namespace holds, and a scoped one only pods that match all its scopes.
 */
export function quotaApplies(quota: ResourceQuota, group: string, resource: string, obj: QuotaCounted): boolean {
  const reqs = scopeRequirements(quota);
  if (!reqs.length) return true;
  if (group !== "" || resource !== "pods") return false;
  return reqs.every((r) => scopeMatches(r, obj as Pod));
}
