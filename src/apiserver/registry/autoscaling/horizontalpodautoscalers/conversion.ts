/**
 * HorizontalPodAutoscalers are stored as autoscaling/v2 and served as v1 too
 * (`kubectl autoscale` writes v1): v1's CPU target is v2's cpu Utilization
 * metric; what v1 cannot say (other metrics, behavior, conditions, other
 * current metrics) travels in upstream's autoscaling.alpha.kubernetes.io
 * annotations, so a v1 client that writes back what it read loses nothing.
 */
import type {
  HorizontalPodAutoscalerSpec as V1Spec, HorizontalPodAutoscalerStatus as V1Status,
} from "kubernetes-types/autoscaling/v1.js";
import type {
  HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerSpec as V2Spec,
  HorizontalPodAutoscalerStatus as V2Status, MetricSpec, MetricStatus,
} from "kubernetes-types/autoscaling/v2.js";
import type { KubeObject } from "../../../../api/kube-object.js";
import type { Obj } from "../../object-store.js";
import type { VersionConversion } from "../../strategy.js";
import { defaultHpaV2Spec } from "./defaults.js";

/** An autoscaler being converted: its spec and status hold fields of both versions while they are moved. */
type Hpa = KubeObject & { spec?: Partial<V1Spec> & Partial<V2Spec>; status?: Partial<V1Status> & Partial<V2Status> };

const METRICS = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";

const isCpuUtilization = (m: MetricSpec) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization";

/**
 * Takes an annotation's JSON out of the object (a value that does not parse
 * is dropped, as it cannot be used). The annotations are the server's own,
 * written by put from a value of the type the caller expects.
 */
function take(o: Hpa, key: string): unknown {
  const annotations = o.metadata?.annotations;
  const text = annotations?.[key];
  if (annotations === undefined || text === undefined) return undefined;
  delete annotations[key];
  if (!Object.keys(annotations).length) delete o.metadata.annotations;
  try { return JSON.parse(text) as unknown; } catch { return undefined; }
}

function put(o: Hpa, key: string, value: unknown): void {
  o.metadata ??= {};
  o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [key]: JSON.stringify(value) };
}

function hpaV1ToV2(o: Obj): Obj {
  const out = structuredClone(o) as Hpa;
  out.apiVersion = "autoscaling/v2";
  const spec = out.spec ?? {};
  const target = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  const others = (take(out, METRICS) ?? []) as MetricSpec[];
  const behavior = take(out, BEHAVIOR) as HorizontalPodAutoscalerBehavior | undefined;
  const conditions = take(out, CONDITIONS) as HorizontalPodAutoscalerCondition[] | undefined;
  const currentOthers = take(out, CURRENT_METRICS) as MetricStatus[] | undefined;
  const metrics: MetricSpec[] = [...(target !== undefined ? [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: target } } }] : []), ...others];
  if (metrics.length) spec.metrics = metrics;
  if (behavior) spec.behavior = behavior;
  // Stored as v2, defaulted as v2 (a v1 autoscaler without any target gets cpu at 80%).
  out.spec = spec;
  defaultHpaV2Spec(spec);
  if (out.status) {
    const current = out.status.currentCPUUtilizationPercentage;
    delete out.status.currentCPUUtilizationPercentage;
    const currentMetrics: MetricStatus[] = [...(current !== undefined ? [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: current } } }] : []), ...(currentOthers ?? [])];
    if (currentMetrics.length) out.status.currentMetrics = currentMetrics;
    if (conditions) out.status.conditions = conditions;
  }
  return out;
}

function hpaV2ToV1(o: Obj): Obj {
  const out = structuredClone(o) as Hpa;
  out.apiVersion = "autoscaling/v1";
  const spec = out.spec ?? {};
  const metrics = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  delete spec.metrics;
  if (spec.behavior) put(out, BEHAVIOR, spec.behavior);
  delete spec.behavior;
  if (others.length) put(out, METRICS, others);
  if (cpu) spec.targetCPUUtilizationPercentage = cpu.resource?.target.averageUtilization;
  if (out.status) {
    const current = (out.status.currentMetrics ?? []).find((m) => m.type === "Resource" && m.resource?.name === "cpu");
    const currentOthers = (out.status.currentMetrics ?? []).filter((m) => m !== current);
    if (currentOthers.length) put(out, CURRENT_METRICS, currentOthers);
    if (out.status.conditions?.length) put(out, CONDITIONS, out.status.conditions);
    delete out.status.currentMetrics;
    delete out.status.conditions;
    if (current?.resource?.current?.averageUtilization !== undefined) out.status.currentCPUUtilizationPercentage = current.resource.current.averageUtilization;
  }
  return out;
}

export const autoscalingV1: VersionConversion = {
  toStorage: hpaV1ToV2,
  fromStorage: (o) => (o.apiVersion !== "autoscaling/v1" ? hpaV2ToV1(o) : o),
};
