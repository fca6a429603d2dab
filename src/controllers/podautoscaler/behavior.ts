/**
 * From the metrics' recommendation to the count the autoscaler sets
 * (upstream's normalizeDesiredReplicas and ...WithBehaviors): the
 * recommendation stabilized over a window (the highest of recent ones before
 * scaling down, the lowest before scaling up), then bounded by min/max and by
 * the scaling policies' rate (pods or percent per period, the largest change
 * or the smallest as selectPolicy says, none when Disabled). Recommendations
 * and past scale changes are kept in memory per autoscaler, as upstream's
 * controller keeps them; a restarted controller starts over.
 */
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from "kubernetes-types/autoscaling/v2.js";

interface Recommendation { replicas: number; at: number }
interface ScaleEvent { change: number; at: number; outdated: boolean }

/** The result and the conditions it calls for: AbleToScale's reason and ScalingLimited's. */
export interface Normalized {
  replicas: number;
  ableToScale: { reason: string; message: string };
  scalingLimited: { status: "True" | "False"; reason: string; message: string };
}

/** Without behavior, a scale-up goes at most to twice the count (at least 4), as upstream's old limit. */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const READY = { reason: "ReadyForNewScale", message: "recommended size matches current size" };

export class ScaleHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(private readonly options: { downscaleStabilizationMs: number; now: () => number }) {}

  /** An autoscaler seen for the first time starts with its target's count as the one recommendation. */
  recordInitial(key: string, currentReplicas: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: currentReplicas, at: this.options.now() }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  /** Without behavior: the highest recommendation of the downscale stabilization window, then min, max and the scale-up limit. */
  normalize(key: string, currentReplicas: number, desired: number, minReplicas: number, maxReplicas: number): Normalized {
    const stabilized = this.stabilize(key, desired);
    const ableToScale = stabilized !== desired
      ? { reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" }
      : READY;
    const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM);
    let max = maxReplicas, reason = "TooManyReplicas", message = "the desired replica count is more than the maximum replica count";
    if (maxReplicas > scaleUpLimit) {
      max = scaleUpLimit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    }
    let replicas = stabilized;
    if (stabilized < minReplicas) {
      replicas = minReplicas;
      reason = "TooFewReplicas";
      message = "the desired replica count is less than the minimum replica count";
    } else if (stabilized > max) replicas = max;
    else { reason = "DesiredWithinRange"; message = "the desired count is within the acceptable range"; }
    return { replicas, ableToScale, scalingLimited: { status: replicas === stabilized ? "False" : "True", reason, message } };
  }

  /** With behavior (its rules filled in by defaulting; scaleDown's window from the controller's flag when unset). */
  normalizeWithBehavior(key: string, behavior: HorizontalPodAutoscalerBehavior, currentReplicas: number, desired: number, minReplicas: number, maxReplicas: number): Normalized {
    const up = rules(behavior.scaleUp, 0);
    const down = rules(behavior.scaleDown, Math.round(this.options.downscaleStabilizationMs / 1000));
    const { replicas: stabilized, reason, message } = this.stabilizeWithBehavior(key, up, down, currentReplicas, desired);
    const ableToScale = stabilized !== desired ? { reason, message } : READY;
    const limited = this.rateLimit(key, up, down, currentReplicas, stabilized, minReplicas, maxReplicas);
    return { replicas: limited.replicas, ableToScale, scalingLimited: { status: limited.replicas === stabilized ? "False" : "True", reason: limited.reason, message: limited.message } };
  }

  /** Remembers a scale change, for the policies' periods; without behavior none is needed. */
  storeScaleEvent(key: string, behavior: HorizontalPodAutoscalerBehavior | undefined, previous: number, next: number): void {
    if (!behavior) return;
    const now = this.options.now();
    const upward = next > previous;
    const events = (upward ? this.scaleUpEvents : this.scaleDownEvents);
    const list = events.get(key) ?? [];
    const longest = longestPolicyPeriod(upward ? rules(behavior.scaleUp, 0) : rules(behavior.scaleDown, 0));
    for (const e of list) if (e.at < now - longest * 1000) e.outdated = true;
    const event = { change: Math.abs(next - previous), at: now, outdated: false };
    // An outdated slot is reused, so the list stays as long as the events one period holds.
    let reuse = -1;
    list.forEach((e, i) => { if (e.outdated) reuse = i; });
    if (reuse >= 0) list[reuse] = event;
    else list.push(event);
    events.set(key, list);
  }

  private stabilize(key: string, desired: number): number {
    const now = this.options.now();
    const cutoff = now - this.options.downscaleStabilizationMs;
    const list = this.recommendations.get(key) ?? [];
    let max = desired, old = -1;
    list.forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > max) max = r.replicas;
    });
    if (old >= 0) list[old] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return max;
  }

  private stabilizeWithBehavior(key: string, up: FilledRules, down: FilledRules, currentReplicas: number, desired: number): { replicas: number; reason: string; message: string } {
    const now = this.options.now();
    const upward = desired >= currentReplicas;
    const window = upward ? up.stabilizationWindowSeconds : down.stabilizationWindowSeconds;
    const better = upward ? Math.min : Math.max;
    const obsolete = now - Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
    const cutoff = now - window * 1000;
    const list = this.recommendations.get(key) ?? [];
    let recommendation = desired, old = -1;
    list.forEach((r, i) => {
      if (r.at > cutoff) recommendation = better(r.replicas, recommendation);
      if (r.at < obsolete) old = i;
    });
    if (old >= 0) list[old] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return upward
      ? { replicas: recommendation, reason: "ScaleUpStabilized", message: "recent recommendations were lower than current one, applying the lowest recent recommendation" }
      : { replicas: recommendation, reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation" };
  }

  private rateLimit(key: string, up: FilledRules, down: FilledRules, currentReplicas: number, desired: number, minReplicas: number, maxReplicas: number): { replicas: number; reason: string; message: string } {
    if (desired > currentReplicas) {
      const limit = Math.max(scaleUpLimit(currentReplicas, this.changes(this.scaleUpEvents.get(key)), up), currentReplicas);
      const [max, reason, message] = maxReplicas > limit
        ? [limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"]
        : [maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count"];
      if (desired > max) return { replicas: max, reason, message };
    } else if (desired < currentReplicas) {
      const limit = Math.min(scaleDownLimit(currentReplicas, this.changes(this.scaleDownEvents.get(key)), down), currentReplicas);
      const [min, reason, message] = minReplicas < limit
        ? [limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"]
        : [minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"];
      if (desired < min) return { replicas: min, reason, message };
    }
    return { replicas: desired, reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
  }

  /** The replicas changed within the last periodSeconds. */
  private changes(events: ScaleEvent[] | undefined): (periodSeconds: number) => number {
    const now = this.options.now();
    return (periodSeconds) => (events ?? []).filter((e) => e.at > now - periodSeconds * 1000).reduce((n, e) => n + e.change, 0);
  }
}

interface FilledRules { stabilizationWindowSeconds: number; selectPolicy: string; policies: { type: string; value: number; periodSeconds: number }[] }

function rules(r: HPAScalingRules | undefined, defaultWindow: number): FilledRules {
  return { stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? defaultWindow, selectPolicy: r?.selectPolicy ?? "Max", policies: r?.policies ?? [] };
}

function longestPolicyPeriod(r: FilledRules): number {
  return r.policies.reduce((n, p) => Math.max(n, p.periodSeconds), 0);
}

/** The most replicas the policies allow now: each policy counts from the replicas at the start of its period. */
export function scaleUpLimit(currentReplicas: number, addedWithin: (periodSeconds: number) => number, r: FilledRules): number {
  if (r.selectPolicy === "Disabled") return currentReplicas;
  const pick = r.selectPolicy === "Min" ? Math.min : Math.max;
  let result = r.selectPolicy === "Min" ? Number.MAX_SAFE_INTEGER : 0;
  for (const p of r.policies) {
    const start = currentReplicas - addedWithin(p.periodSeconds);
    // Percent rounds up, or a small target would never grow.
    const proposed = p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return r.policies.length ? result : currentReplicas;
}

/** The fewest replicas the policies allow now. */
export function scaleDownLimit(currentReplicas: number, removedWithin: (periodSeconds: number) => number, r: FilledRules): number {
  if (r.selectPolicy === "Disabled") return currentReplicas;
  const pick = r.selectPolicy === "Min" ? Math.max : Math.min;
  let result = r.selectPolicy === "Min" ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of r.policies) {
    const start = currentReplicas + removedWithin(p.periodSeconds);
    const proposed = p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return r.policies.length ? result : currentReplicas;
}
