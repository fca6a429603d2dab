/**
 * What objects count against a ResourceQuota, by upstream's resource names:
 * object counts (`pods`, `services`, ..., `count/<resource>.<group>`), the
 * compute requests and limits of pods that are not finished, NodePorts and
 * load balancers of Services, and storage requested by claims. Shared by the
 * quota admission (charging a new object) and the ResourceQuota controller.
 */
import { milliCPU, parseQuantity } from "./quantity.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects are free-form JSON here

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
  if (/memory|storage/.test(name)) return formatMemory(n);
  return String(n);
}

export const isTerminalPod = (p: Obj) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

function containerSum(pod: Obj, which: "requests" | "limits", resource: "cpu" | "memory"): number {
  return (pod.spec?.containers ?? []).reduce((n: number, c: Obj) => n + quotaAmount(resource, c.resources?.[which]?.[resource]), 0);
}

/** What one object adds to its namespace's usage, by quota resource name. */
export function usageOf(group: string, resource: string, obj: Obj): Map<string, number> {
  const usage = new Map<string, number>();
  if (resource === "pods" && group === "" && isTerminalPod(obj)) return usage;
  usage.set(group ? `count/${resource}.${group}` : `count/${resource}`, 1);
  if (!group && LEGACY_COUNTS.has(resource)) usage.set(resource, 1);
  if (group) return usage;
  if (resource === "pods") {
    const requestsCPU = containerSum(obj, "requests", "cpu");
    const requestsMemory = containerSum(obj, "requests", "memory");
    usage.set("requests.cpu", requestsCPU).set("cpu", requestsCPU);
    usage.set("requests.memory", requestsMemory).set("memory", requestsMemory);
    usage.set("limits.cpu", containerSum(obj, "limits", "cpu")).set("limits.memory", containerSum(obj, "limits", "memory"));
  } else if (resource === "services") {
    const type = obj.spec?.type;
    if (type === "NodePort" || type === "LoadBalancer") usage.set("services.nodeports", (obj.spec?.ports ?? []).length);
    if (type === "LoadBalancer") usage.set("services.loadbalancers", 1);
  } else if (resource === "persistentvolumeclaims") {
    usage.set("requests.storage", quotaAmount("requests.storage", obj.spec?.resources?.requests?.storage));
  }
  return usage;
}

/** Quota names that need every container of a pod to state the matching request or limit. */
export const REQUIRED_BY_QUOTA: Record<string, ["requests" | "limits", "cpu" | "memory"]> = {
  cpu: ["requests", "cpu"], "requests.cpu": ["requests", "cpu"], memory: ["requests", "memory"], "requests.memory": ["requests", "memory"],
  "limits.cpu": ["limits", "cpu"], "limits.memory": ["limits", "memory"],
};
