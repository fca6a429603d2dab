/**
 * What a simulated pod uses: a fraction of each container's requests, with
 * noise, or what the pod's annotations say (`skiff.dev/simulated-cpu-usage:
 * 400m`, `skiff.dev/simulated-memory-usage: 200Mi`, split over its containers
 * by their requests, without noise), so that a test or a demo can drive load.
 * The shape is the kubelet's `/stats/summary` (stats/summary.ts), so
 * metrics.k8s.io, `kubectl top` and the HPA read simulated nodes as real ones.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../../api/quantity.js";
import type { ContainerSummary, PodSummary, Summary } from "../../stats/summary.js";

export const CPU_USAGE_ANNOTATION = "skiff.dev/simulated-cpu-usage";
export const MEMORY_USAGE_ANNOTATION = "skiff.dev/simulated-memory-usage";

export interface SimUsageOptions {
  /** The share of its requests a container uses (default 0.1). */
  fraction: number;
  /** How far a sample may stray from that, as a fraction of it either way (default 0.1). */
  noise: number;
  random?: () => number;
}

/** What a container without a request of a resource is taken to use: 1 millicore, 4 MiB. */
const IDLE_NANOCORES = 1e6;
const IDLE_BYTES = 4 * 2 ** 20;

function annotated(pod: Pod, key: string): number | undefined {
  const text = pod.metadata?.annotations?.[key];
  if (text === undefined) return undefined;
  const v = parseQuantity(text);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Each container's share of the pod's total: by its request, equal when none requests any. */
function shares(requests: number[]): number[] {
  const total = requests.reduce((a, b) => a + b, 0);
  return total > 0 ? requests.map((r) => r / total) : requests.map(() => 1 / requests.length);
}

export function podUsage(pod: Pod, options: SimUsageOptions, now: number): PodSummary {
  const random = options.random ?? Math.random;
  const time = new Date(now).toISOString();
  const containers = pod.spec?.containers ?? [];
  const cpuRequests = containers.map((c) => parseQuantity(c.resources?.requests?.cpu ?? 0) || 0);
  const memRequests = containers.map((c) => parseQuantity(c.resources?.requests?.memory ?? 0) || 0);
  const cpuOverride = annotated(pod, CPU_USAGE_ANNOTATION);
  const memOverride = annotated(pod, MEMORY_USAGE_ANNOTATION);
  const cpuShares = shares(cpuRequests);
  const memShares = shares(memRequests);
  const jitter = () => 1 + options.noise * (2 * random() - 1);
  const startTime = pod.status?.startTime ?? time;
  const runningSeconds = Math.max(0, (now - Date.parse(startTime)) / 1000);
  const summaries: ContainerSummary[] = containers.map((c, i) => {
    const nanoCores = Math.round(cpuOverride !== undefined ? cpuOverride * 1e9 * cpuShares[i]! : cpuRequests[i]! > 0 ? cpuRequests[i]! * 1e9 * options.fraction * jitter() : IDLE_NANOCORES);
    const bytes = Math.round(memOverride !== undefined ? memOverride * memShares[i]! : memRequests[i]! > 0 ? memRequests[i]! * options.fraction * jitter() : IDLE_BYTES);
    return {
      name: c.name, startTime,
      cpu: { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: Math.round(nanoCores * runningSeconds) },
      memory: { time, workingSetBytes: bytes, usageBytes: bytes, rssBytes: bytes },
    };
  });
  const sum = (get: (c: ContainerSummary) => number | undefined) => summaries.reduce((n, c) => n + (get(c) ?? 0), 0);
  return {
    podRef: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: String(pod.metadata!.uid) },
    startTime, containers: summaries,
    cpu: { time, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) },
    memory: { time, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes) },
  };
}

/** A node's summary: its running pods' usage, and the node's as their sum. */
export function nodeSummary(nodeName: string, startTime: string, memoryCapacityBytes: number, pods: Pod[], options: SimUsageOptions, now: number): Summary {
  const time = new Date(now).toISOString();
  const podSummaries = pods.map((p) => podUsage(p, options, now));
  const cpu = podSummaries.reduce((n, p) => n + (p.cpu.usageNanoCores ?? 0), 0);
  const cpuTotal = podSummaries.reduce((n, p) => n + (p.cpu.usageCoreNanoSeconds ?? 0), 0);
  const memory = podSummaries.reduce((n, p) => n + (p.memory.workingSetBytes ?? 0), 0);
  return {
    node: {
      nodeName, startTime,
      cpu: { time, usageNanoCores: cpu, usageCoreNanoSeconds: cpuTotal },
      memory: { time, workingSetBytes: memory, usageBytes: memory, availableBytes: Math.max(0, memoryCapacityBytes - memory) },
    },
    pods: podSummaries,
  };
}
