/**
 * autoscaling/v2 defaults (upstream's SetDefaults_HorizontalPodAutoscaler):
 * one replica at least, a cpu Utilization target of 80% when no metric is
 * named, and a behavior's unset rules filled with the old fixed rates: up by
 * 4 pods or 100% each 15 s, without stabilization; down by 100% each 15 s.
 * A scaleDown's stabilizationWindowSeconds stays unset, so that the
 * controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
 */
import type { HPAScalingRules, HorizontalPodAutoscalerSpec, MetricSpec } from "kubernetes-types/autoscaling/v2.js";

export const DEFAULT_CPU_UTILIZATION = 80;

export function defaultCpuMetric(): MetricSpec[] {
  return [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
}

const scaleUpRules = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0, selectPolicy: "Max",
  policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }],
});
const scaleDownRules = (): HPAScalingRules => ({ selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });

function fill(given: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!given) return defaults;
  return {
    ...defaults, ...given,
    ...(given.selectPolicy === undefined ? { selectPolicy: defaults.selectPolicy } : {}),
    ...(given.policies === undefined ? { policies: defaults.policies } : {}),
    ...(given.stabilizationWindowSeconds === undefined && defaults.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: defaults.stabilizationWindowSeconds } : {}),
  };
}

export function defaultHpaV2Spec(spec: Partial<HorizontalPodAutoscalerSpec>): void {
  spec.minReplicas ??= 1;
  if (!spec.metrics?.length) spec.metrics = defaultCpuMetric();
  if (spec.behavior) {
    spec.behavior.scaleUp = fill(spec.behavior.scaleUp, scaleUpRules());
    spec.behavior.scaleDown = fill(spec.behavior.scaleDown, scaleDownRules());
  }
}
