/**
 * The replica count a metric asks for (upstream's replica_calculator.go):
 * the ratio of the pods' usage to the target, times the pods counted, unless
 * within the tolerance. Pods without a sample count as using nothing on a
 * scale-up and their whole request (or the target) on a scale-down; for cpu,
 * pods that are not ready yet, or whose sample predates their readiness, are
 * left out, and counted as using nothing when the others ask for more. Pure
 * functions over pods and samples, so tests need no server.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../../api/quantity.js";

/** One pod's sample: a milli-value (millicores, millibytes), when it was taken and over how long. */
export interface PodMetric { value: number; timestamp: number; windowMs: number }
/** Samples by pod name. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface ReplicaCalculatorOptions {
  /** How far from 1 the usage ratio must be before the count changes (upstream's --horizontal-pod-autoscaler-tolerance, 0.1). */
  tolerance: number;
  /** Within this time of a pod's start, its cpu sample counts only once taken a window after it turned ready (5 min). */
  cpuInitializationPeriodMs: number;
  /** A pod that turned unready within this time of its start is taken as never ready yet (30 s). */
  delayOfInitialReadinessStatusMs: number;
  now: () => number;
}

export const defaultReplicaCalculatorOptions: ReplicaCalculatorOptions = {
  tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, delayOfInitialReadinessStatusMs: 30_000, now: Date.now,
};

/** A milli-value as upstream's resource.Quantity.MilliValue gives it (rounded up). */
export function milliValue(q: string | number | undefined): number {
  return Math.ceil(parseQuantity(q) * 1000 - 1e-6);
}

/**
 * Splits the pods into those counted, those left out (pending, or cpu not yet ready), those without a sample,
 * and those gone (being deleted, or failed), whose samples upstream removes before counting.
 */
export function groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string, options: ReplicaCalculatorOptions): { readyPodCount: number; ignored: Set<string>; missing: Set<string>; gone: Set<string> } {
  const ignored = new Set<string>();
  const missing = new Set<string>();
  const gone = new Set<string>();
  let readyPodCount = 0;
  const now = options.now();
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === "Failed") { gone.add(name); continue; }
    if (pod.status?.phase === "Pending") { ignored.add(name); continue; }
    const metric = metrics.get(name);
    if (!metric) { missing.add(name); continue; }
    if (resource === "cpu") {
      const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
      let ignore: boolean;
      if (!ready || start === undefined) ignore = true;
      else {
        const transition = Date.parse(ready.lastTransitionTime ?? "") || 0;
        if (start + options.cpuInitializationPeriodMs > now) {
          // Still starting: an unready pod, or a sample that does not cover a whole window since it turned ready, says nothing yet.
          ignore = ready.status === "False" || metric.timestamp < transition + metric.windowMs;
        } else {
          // Past that: left out only while it has never been ready.
          ignore = ready.status === "False" && start + options.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (ignore) { ignored.add(name); continue; }
    }
    readyPodCount++;
  }
  return { readyPodCount, ignored, missing, gone };
}

/** Each pod's request of the resource (its containers', or the one named), in milli-units; every container counted must request it. */
export function calculatePodRequests(pods: Pod[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    // Sidecars (init containers that keep running) use the resource as the others do.
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always")];
    let sum = 0;
    for (const c of containers) {
      if (container && c.name !== container) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined || milliValue(request) === 0) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata!.name}`);
      sum += milliValue(request);
    }
    requests.set(pod.metadata!.name!, sum);
  }
  return requests;
}

/** Usage over requests of the pods with both, as a ratio to the target utilization; also the utilization and the average raw value. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0, requestsTotal = 0, entries = 0;
  for (const [pod, m] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error("no metrics returned matched known pods");
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** The average sample as a ratio to a target average value. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

export interface ResourceReplicas { replicas: number; utilization: number; rawUtilization: number }

/** Desired replicas for a Utilization target of a resource (upstream's GetResourceReplicas after the metrics are fetched). */
export function resourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, container: string, pods: Pod[], samples: PodMetricsInfo, options: ReplicaCalculatorOptions): ResourceReplicas {
  if (pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const metrics = new Map(samples);
  const { readyPodCount, ignored, missing, gone } = groupPods(pods, metrics, resource, options);
  for (const p of [...gone, ...ignored]) metrics.delete(p);
  const requests = calculatePodRequests(pods, container, resource);
  if (metrics.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const result = (replicas: number) => ({ replicas, utilization, rawUtilization: rawAverage });
  const rebalanceIgnored = ignored.size > 0 && ratio > 1;
  if (!rebalanceIgnored && missing.size === 0) {
    if (Math.abs(1 - ratio) <= options.tolerance) return result(currentReplicas);
    return result(Math.ceil(ratio * readyPodCount));
  }
  if (missing.size > 0) {
    if (ratio < 1) {
      // Scaling down: a pod without a sample is taken to use its whole request, or the target when that is above 100%.
      const fallback = Math.max(100, targetUtilization);
      for (const p of missing) metrics.set(p, { value: Math.trunc((requests.get(p)! * fallback) / 100), timestamp: 0, windowMs: 0 });
    } else if (ratio > 1) {
      for (const p of missing) metrics.set(p, { value: 0, timestamp: 0, windowMs: 0 });
    }
  }
  if (rebalanceIgnored) for (const p of ignored) metrics.set(p, { value: 0, timestamp: 0, windowMs: 0 });
  const { ratio: newRatio } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  // Too small a change, or one that the assumed samples would turn the other way: keep the count.
  if (Math.abs(1 - newRatio) <= options.tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return result(currentReplicas);
  const replicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

/** Desired replicas for an AverageValue target (upstream's calcPlainMetricReplicas); usage is the average milli-value. */
export function plainMetricReplicas(currentReplicas: number, targetUsage: number, resource: string, pods: Pod[], samples: PodMetricsInfo, options: ReplicaCalculatorOptions): { replicas: number; usage: number } {
  if (pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  const metrics = new Map(samples);
  const { readyPodCount, ignored, missing, gone } = groupPods(pods, metrics, resource, options);
  for (const p of [...gone, ...ignored]) metrics.delete(p);
  if (metrics.size === 0) throw new Error("did not receive metrics for targeted pods (pods might be unready)");
  const { ratio, usage } = metricUsageRatio(metrics, targetUsage);
  const rebalanceIgnored = ignored.size > 0 && ratio > 1;
  if (!rebalanceIgnored && missing.size === 0) {
    if (Math.abs(1 - ratio) <= options.tolerance) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(ratio * readyPodCount), usage };
  }
  for (const p of missing) metrics.set(p, { value: ratio < 1 ? targetUsage : 0, timestamp: 0, windowMs: 0 });
  if (rebalanceIgnored) for (const p of ignored) metrics.set(p, { value: 0, timestamp: 0, windowMs: 0 });
  const { ratio: newRatio } = metricUsageRatio(metrics, targetUsage);
  if (Math.abs(1 - newRatio) <= options.tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) return { replicas: currentReplicas, usage };
  const replicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas)) return { replicas: currentReplicas, usage };
  return { replicas, usage };
}

/** Pods that are Running and Ready (upstream's getReadyPodsCount); none selected at all is an error. */
export function readyPodsCount(pods: Pod[]): number {
  if (pods.length === 0) throw new Error("no pods returned by selector while calculating replica count");
  return pods.filter((p) => p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
}

/**
 * Desired replicas for a Value target of one quantity, an Object metric or the sum of an External one
 * (upstream's getUsageRatioReplicaCount): the ratio to the target times the ready pods, unless within the
 * tolerance; from zero replicas, the ratio itself.
 */
export function usageRatioReplicas(currentReplicas: number, usage: number, targetUsage: number, pods: Pod[], options: Pick<ReplicaCalculatorOptions, "tolerance">): number {
  const ratio = usage / targetUsage;
  if (currentReplicas === 0) return Math.ceil(ratio);
  if (Math.abs(1 - ratio) <= options.tolerance) return currentReplicas;
  let ready: number;
  try {
    ready = readyPodsCount(pods);
  } catch (err) {
    throw new Error(`unable to calculate ready pods: ${(err as Error).message}`, { cause: err });
  }
  return Math.ceil(ratio * ready);
}

/**
 * Desired replicas for an AverageValue target of one quantity, an Object metric or the sum of an External one
 * (upstream's GetObjectPerPodMetricReplicas and GetExternalPerPodMetricReplicas): the quantity over the target,
 * unless the status' replicas are within the tolerance; usage is the quantity per replica, rounded up.
 */
export function perPodReplicas(statusReplicas: number, usage: number, targetPerPod: number, options: Pick<ReplicaCalculatorOptions, "tolerance">): { replicas: number; usage: number } {
  let replicas = statusReplicas;
  const ratio = usage / (targetPerPod * statusReplicas);
  if (Math.abs(1 - ratio) > options.tolerance) replicas = Math.ceil(usage / targetPerPod);
  // With no replicas in the status upstream divides by zero (an overflowed quantity); the whole quantity is shown instead.
  return { replicas, usage: statusReplicas > 0 ? Math.ceil(usage / statusReplicas) : usage };
}
