/**
 * One replica proposal per metric of an autoscaler, the largest taken
 * (upstream's computeReplicasForMetrics): each metric's status for
 * currentMetrics, and for a metric that cannot be read the ScalingActive=False
 * condition and the Warning event with upstream's reason.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricTarget } from "kubernetes-types/autoscaling/v2.js";
import type { MetricsClient } from "./metrics-client.js";
import { milliValue, plainMetricReplicas, resourceReplicas, type ReplicaCalculatorOptions } from "./replica-calculator.js";
import { formatMilli } from "./status.js";

export interface MetricProposal { replicas: number; metric: string; timestamp: number }

/** A metric that could not be read: the condition it sets and the error that says why. */
export class MetricFailure extends Error {
  constructor(readonly reason: string, readonly conditionMessage: string, message: string) {
    super(message);
  }
}

export interface ComputeContext {
  hpa: HorizontalPodAutoscaler;
  metrics: MetricsClient;
  /** The pods the target's selector picks, from the cache. */
  pods: Pod[];
  selector: string;
  specReplicas: number;
  statusReplicas: number;
  calc: ReplicaCalculatorOptions;
  /** Records a Warning event on the autoscaler. */
  warn(reason: string, message: string): void;
}

export interface ComputedMetrics {
  /** -1 when no metric could be read, or when some could not and the others would scale down. */
  replicas: number;
  metric: string;
  statuses: MetricStatus[];
  timestamp: number;
  /** The first failure, summed up as upstream's "invalid metrics (n invalid out of m)". */
  error?: MetricFailure;
}

export async function computeReplicasForMetrics(ctx: ComputeContext, specs: MetricSpec[]): Promise<ComputedMetrics> {
  const statuses: MetricStatus[] = [];
  let replicas = 0, metric = "", timestamp = 0, invalid = 0;
  let first: MetricFailure | undefined;
  for (const spec of specs) {
    try {
      const { proposal, status } = await computeReplicasForMetric(ctx, spec);
      statuses.push(status);
      if (replicas === 0 || proposal.replicas > replicas) ({ replicas, metric, timestamp } = proposal);
    } catch (err) {
      // A metric that failed keeps an empty entry, as upstream's zero MetricStatus.
      statuses.push({ type: "" });
      const failure = err instanceof MetricFailure ? err : new MetricFailure("FailedGetMetric", `the HPA was unable to compute the replica count: ${(err as Error).message}`, (err as Error).message);
      if (!first) first = failure;
      invalid++;
    }
  }
  const error = first && new MetricFailure(first.reason, first.conditionMessage, `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}`);
  // A metric that cannot be read must not let the others scale down, or an outage of metrics would shrink the workload.
  if (invalid >= specs.length || (invalid > 0 && replicas < ctx.specReplicas)) return { replicas: -1, metric: "", statuses, timestamp: 0, error };
  return { replicas, metric, statuses, timestamp, error };
}

async function computeReplicasForMetric(ctx: ComputeContext, spec: MetricSpec): Promise<{ proposal: MetricProposal; status: MetricStatus }> {
  switch (spec.type) {
    case "Resource": {
      const r = spec.resource!;
      return wrap(`failed to get ${r.name} resource metric value`, resourceMetric(ctx, r.name, "", r.target, "FailedGetResourceMetric"));
    }
    case "ContainerResource": {
      const r = spec.containerResource!;
      return wrap(`failed to get ${r.name} container resource metric value`, resourceMetric(ctx, r.name, r.container, r.target, "FailedGetContainerResourceMetric"));
    }
    case "Pods": {
      const m = spec.pods!.metric;
      return wrap("failed to get pods metric value", unavailable(ctx, "FailedGetPodsMetric", `unable to get metric ${m.name}`, ctx.metrics.getRawMetric(m.name, ctx.hpa.metadata!.namespace!, ctx.selector)));
    }
    case "Object": {
      const o = spec.object!;
      return wrap("failed to get object metric value", unavailable(ctx, "FailedGetObjectMetric", `unable to get metric ${o.metric.name}: ${o.describedObject.kind} ${ctx.hpa.metadata!.namespace}/${o.describedObject.name}`,
        ctx.metrics.getObjectMetric(o.metric.name, ctx.hpa.metadata!.namespace!, o.describedObject.kind, o.describedObject.name)));
    }
    case "External": {
      const m = spec.external!.metric;
      return wrap(`failed to get ${m.name} external metric`, unavailable(ctx, "FailedGetExternalMetric", `unable to get external metric ${ctx.hpa.metadata!.namespace}/${m.name}/${JSON.stringify(m.selector ?? {})}`,
        ctx.metrics.getExternalMetric(m.name, ctx.hpa.metadata!.namespace!)));
    }
    default: {
      const message = `unknown metric source type "${spec.type}"`;
      throw failure(ctx, "InvalidMetricSourceType", new Error(message), message);
    }
  }
}

/** Adds the per-type prefix of upstream's computeReplicasForMetric to a failure's message. */
async function wrap<T>(prefix: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof MetricFailure) throw new MetricFailure(err.reason, err.conditionMessage, `${prefix}: ${err.message}`);
    throw err;
  }
}

/** Records the reason's Warning event with the cause and returns the failure for the condition. */
function failure(ctx: ComputeContext, reason: string, cause: Error, message: string): MetricFailure {
  ctx.warn(reason, cause.message);
  return new MetricFailure(reason, `the HPA was unable to compute the replica count: ${cause.message}`, message);
}

/** Pods, Object and External metrics: the API they need is not served, so reading them fails with its reason. */
async function unavailable(ctx: ComputeContext, reason: string, what: string, read: Promise<unknown>): Promise<never> {
  try {
    await read;
  } catch (err) {
    const cause = new Error(`${what}: ${(err as Error).message}`);
    throw failure(ctx, reason, cause, cause.message);
  }
  throw failure(ctx, reason, new Error(`${what}: not supported`), `${what}: not supported`);
}

async function resourceMetric(ctx: ComputeContext, name: string, container: string, target: MetricTarget, reason: string): Promise<{ proposal: MetricProposal; status: MetricStatus }> {
  const namespace = ctx.hpa.metadata!.namespace!;
  const what = container ? `${name} container resource` : `${name} resource`;
  const statusOf = (current: { averageUtilization?: number; averageValue: string }): MetricStatus => container
    ? { type: "ContainerResource", containerResource: { name, container, current } }
    : { type: "Resource", resource: { name, current } };
  const fail = (err: unknown) => {
    const cause = err as Error;
    return failure(ctx, reason, cause, `failed to get ${name} utilization: ${cause.message}`);
  };
  if (target.averageValue !== undefined) {
    try {
      const { metrics, timestamp } = await read(ctx, name, namespace, container);
      const { replicas, usage } = plainMetricReplicas(ctx.specReplicas, milliValue(target.averageValue), name, ctx.pods, metrics, ctx.calc);
      return { proposal: { replicas, metric: what, timestamp }, status: statusOf({ averageValue: formatMilli(usage) }) };
    } catch (err) {
      throw fail(err);
    }
  }
  if (target.averageUtilization === undefined) throw fail(new Error("invalid resource metric source: neither an average utilization target nor an average value target was set"));
  try {
    const { metrics, timestamp } = await read(ctx, name, namespace, container);
    const r = resourceReplicas(ctx.specReplicas, target.averageUtilization, name, container, ctx.pods, metrics, ctx.calc);
    return {
      proposal: { replicas: r.replicas, metric: `${what} utilization (percentage of request)`, timestamp },
      status: statusOf({ averageUtilization: r.utilization, averageValue: formatMilli(r.rawUtilization) }),
    };
  } catch (err) {
    throw fail(err);
  }
}

async function read(ctx: ComputeContext, name: string, namespace: string, container: string) {
  try {
    return await ctx.metrics.getResourceMetric(name, namespace, ctx.selector, container);
  } catch (err) {
    throw new Error(`unable to get metrics for resource ${name}: ${(err as Error).message}`, { cause: err });
  }
}
