/**
 * The autoscaler's status as upstream writes it: currentReplicas,
 * desiredReplicas, currentMetrics (one entry per metric, empty for one that
 * failed), lastScaleTime, and the conditions AbleToScale, ScalingActive and
 * ScalingLimited, whose lastTransitionTime moves only when the status does.
 */
import type { HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import { rfc3339 } from "../../api/time.js";

export type ConditionType = "AbleToScale" | "ScalingActive" | "ScalingLimited";

/** Sets one condition in place, adding it if absent. */
export function setCondition(status: HorizontalPodAutoscalerStatus, type: ConditionType, value: "True" | "False", reason: string, message: string, now = rfc3339()): void {
  const conditions = (status.conditions ??= []);
  let c: HorizontalPodAutoscalerCondition | undefined = conditions.find((x) => x.type === type);
  if (!c) {
    c = { type, status: value };
    conditions.push(c);
  }
  if (c.status !== value || !c.lastTransitionTime) c.lastTransitionTime = now;
  c.status = value;
  c.reason = reason;
  c.message = message;
}

/** The status after a sync; lastScaleTime moves when the target was rescaled. */
export function nextStatus(status: HorizontalPodAutoscalerStatus, currentReplicas: number, desiredReplicas: number, metrics: MetricStatus[] | undefined, rescaled: boolean, now = rfc3339()): HorizontalPodAutoscalerStatus {
  const out: HorizontalPodAutoscalerStatus = { currentReplicas, desiredReplicas };
  if (metrics?.length) out.currentMetrics = metrics;
  const lastScaleTime = rescaled ? now : status.lastScaleTime;
  if (lastScaleTime) out.lastScaleTime = lastScaleTime;
  if (status.conditions) out.conditions = status.conditions;
  return out;
}

/** A milli-value as a canonical decimal quantity (upstream's resource.NewMilliQuantity(v, DecimalSI).String()). */
export function formatMilli(milli: number): string {
  const m = Math.round(milli);
  if (m % 1000 !== 0) return `${m}m`;
  let v = m / 1000;
  if (v === 0) return "0";
  for (const suffix of ["", "k", "M", "G", "T", "P", "E"]) {
    if (v % 1000 !== 0 || suffix === "E") return `${v}${suffix}`;
    v /= 1000;
  }
  return String(v);
}
