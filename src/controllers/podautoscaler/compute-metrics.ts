/**
 * One replica proposal per metric of an autoscaler, the largest taken
 * (upstream's computeReplicasForMetrics): each metric's status for
 * currentMetrics, and for a metric that cannot be read the ScalingActive=False
 * condition and the Warning event with upstream's reason.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type {
  ExternalMetricSource, HorizontalPodAutoscaler, MetricIdentifier, MetricSpec, MetricStatus, MetricTarget, ObjectMetricSource, PodsMetricSource,
} from "kubernetes-types/autoscaling/v2.js";
import { formatLabelSelector } from "../../api/selectors.js";
import type { MetricsClient } from "./metrics-client.js";
import { milliValue, perPodReplicas, plainMetricReplicas, resourceReplicas, usageRatioReplicas, type ReplicaCalculatorOptions } from "./replica-calculator.js";
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
    case "Pods":
      return wrap("failed to get pods metric value", podsMetric(ctx, spec.pods!));
    case "Object":
      return objectMetric(ctx, spec.object!);
    case "External":
      return externalMetric(ctx, spec.external!);
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

/** A failure of a Pods, Object or External metric: the condition and event say the cause itself. */
function metricFailure(ctx: ComputeContext, reason: string, err: unknown): MetricFailure {
  const cause = err as Error;
  return failure(ctx, reason, cause, cause.message);
}

/** A Pods metric's AverageValue over the target's pods (upstream's GetMetricReplicas). */
async function podsMetric(ctx: ComputeContext, source: PodsMetricSource): Promise<{ proposal: MetricProposal; status: MetricStatus }> {
  const { metric, target } = source;
  try {
    let read;
    try {
      read = await ctx.metrics.getRawMetric(metric.name, ctx.hpa.metadata!.namespace!, ctx.selector, formatLabelSelector(metric.selector));
    } catch (err) {
      throw new Error(`unable to get metric ${metric.name}: ${(err as Error).message}`, { cause: err });
    }
    const { replicas, usage } = plainMetricReplicas(ctx.specReplicas, milliValue(target.averageValue), "", ctx.pods, read.metrics, ctx.calc);
    return {
      proposal: { replicas, metric: `pods metric ${metric.name}`, timestamp: read.timestamp },
      status: { type: "Pods", pods: { metric: identifier(metric), current: { averageValue: formatMilli(usage) } } },
    };
  } catch (err) {
    throw metricFailure(ctx, "FailedGetPodsMetric", err);
  }
}

/** An Object metric against a Value target (scaled by the ready pods) or an AverageValue one (per replica of the status). */
async function objectMetric(ctx: ComputeContext, source: ObjectMetricSource): Promise<{ proposal: MetricProposal; status: MetricStatus }> {
  const { metric, target, describedObject } = source;
  const namespace = ctx.hpa.metadata!.namespace!;
  const read = async () => {
    try {
      return await ctx.metrics.getObjectMetric(metric.name, namespace, describedObject, formatLabelSelector(metric.selector));
    } catch (err) {
      // Upstream's words, in upstream's order of arguments.
      throw new Error(`unable to get metric ${metric.name}: ${describedObject.kind} on ${namespace} ${describedObject.name}/${(err as Error).message}`, { cause: err });
    }
  };
  if (target.type === "Value" && target.value !== undefined) {
    return wrap("failed to get object metric value", (async () => {
      try {
        const { value, timestamp } = await read();
        const replicas = usageRatioReplicas(ctx.specReplicas, value, milliValue(target.value), ctx.pods, ctx.calc);
        return {
          proposal: { replicas, metric: `${describedObject.kind} metric ${metric.name}`, timestamp },
          status: { type: "Object", object: { describedObject, metric: identifier(metric), current: { value: formatMilli(value) } } } as MetricStatus,
        };
      } catch (err) {
        throw metricFailure(ctx, "FailedGetObjectMetric", err);
      }
    })());
  }
  if (target.type === "AverageValue" && target.averageValue !== undefined) {
    return wrap("failed to get object metric value", (async () => {
      let got;
      try {
        got = await read();
      } catch (err) {
        const f = metricFailure(ctx, "FailedGetObjectMetric", err);
        throw new MetricFailure(f.reason, f.conditionMessage, `failed to get ${metric.name} object metric: ${f.message}`);
      }
      const { replicas, usage } = perPodReplicas(ctx.statusReplicas, got.value, milliValue(target.averageValue), ctx.calc);
      return {
        // Upstream's status for this target names no describedObject, and its proposal is named as an external metric's.
        proposal: { replicas, metric: `external metric ${metric.name}(${goLabelSelector(metric.selector)})`, timestamp: got.timestamp },
        status: { type: "Object", object: { metric: identifier(metric), current: { averageValue: formatMilli(usage) } } } as MetricStatus,
      };
    })());
  }
  return wrap("failed to get object metric value", Promise.reject(metricFailure(ctx, "FailedGetObjectMetric", new Error("invalid object metric source: neither a value target nor an average value target was set"))));
}

/** An External metric: the sum of its series, against a Value target (scaled by the ready pods) or an AverageValue one. */
async function externalMetric(ctx: ComputeContext, source: ExternalMetricSource): Promise<{ proposal: MetricProposal; status: MetricStatus }> {
  const { metric, target } = source;
  const namespace = ctx.hpa.metadata!.namespace!;
  const outer = `failed to get ${metric.name} external metric`;
  const name = `external metric ${metric.name}(${goLabelSelector(metric.selector)})`;
  const read = async () => {
    try {
      const { values, timestamp } = await ctx.metrics.getExternalMetric(metric.name, namespace, formatLabelSelector(metric.selector));
      return { usage: values.reduce((a, b) => a + b, 0), timestamp };
    } catch (err) {
      throw new Error(`unable to get external metric ${namespace}/${metric.name}/${goLabelSelector(metric.selector)}: ${(err as Error).message}`, { cause: err });
    }
  };
  // Upstream prefixes the failure once here and once more in computeReplicasForMetric.
  const fail = (prefix: string, err: unknown) => {
    const f = metricFailure(ctx, "FailedGetExternalMetric", err);
    return new MetricFailure(f.reason, f.conditionMessage, `${prefix}: ${f.message}`);
  };
  if (target.averageValue !== undefined) {
    return wrap(outer, (async () => {
      let got;
      try { got = await read(); } catch (err) { throw fail(outer, err); }
      const { replicas, usage } = perPodReplicas(ctx.statusReplicas, got.usage, milliValue(target.averageValue), ctx.calc);
      return {
        proposal: { replicas, metric: name, timestamp: got.timestamp },
        status: { type: "External", external: { metric: identifier(metric), current: { averageValue: formatMilli(usage) } } } as MetricStatus,
      };
    })());
  }
  const inner = `failed to get external metric ${metric.name}`;
  if (target.value !== undefined) {
    return wrap(outer, (async () => {
      try {
        const got = await read();
        const replicas = usageRatioReplicas(ctx.specReplicas, got.usage, milliValue(target.value), ctx.pods, ctx.calc);
        return {
          proposal: { replicas, metric: name, timestamp: got.timestamp },
          status: { type: "External", external: { metric: identifier(metric), current: { value: formatMilli(got.usage) } } } as MetricStatus,
        };
      } catch (err) {
        throw fail(inner, err);
      }
    })());
  }
  return wrap(outer, Promise.reject(fail(inner, new Error("invalid external metric source: neither a value target nor an average value target was set"))));
}

function identifier(metric: MetricIdentifier): MetricIdentifier {
  return metric.selector ? { name: metric.name, selector: metric.selector } : { name: metric.name };
}

/** A *metav1.LabelSelector as Go's %+v prints it (its generated String method), as upstream's messages carry it. */
export function goLabelSelector(sel: LabelSelector | undefined): string {
  if (!sel) return "nil";
  const labels = Object.keys(sel.matchLabels ?? {}).sort().map((k) => `${k}: ${sel.matchLabels![k]},`).join("");
  const exprs = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(" ")}],},`).join("");
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
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
