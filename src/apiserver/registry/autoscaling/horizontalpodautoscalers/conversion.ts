/**
 * HorizontalPodAutoscalers are stored as autoscaling/v2 and served as v1 too
 * (`kubectl autoscale` writes v1): v1's CPU target is v2's cpu Utilization
 * metric, and what v1 cannot say is dropped on the way out.
 */
import type { Obj } from "../../object-store.js";
import type { VersionConversion } from "../../strategy.js";

const CPU_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics";

function hpaV1ToV2(o: Obj): Obj {
  const out = structuredClone(o);
  out.apiVersion = "autoscaling/v2";
  const spec = out.spec ?? {};
  const target = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  if (target !== undefined) spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: target } } }];
  if (out.status) {
    const current = out.status.currentCPUUtilizationPercentage;
    delete out.status.currentCPUUtilizationPercentage;
    if (current !== undefined) out.status.currentMetrics = [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: current } } }];
  }
  return out;
}

function hpaV2ToV1(o: Obj): Obj {
  const out = structuredClone(o);
  out.apiVersion = "autoscaling/v1";
  const spec = out.spec ?? {};
  const cpu = (spec.metrics ?? []).find((m: Obj) => m.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization");
  delete spec.metrics;
  delete spec.behavior;
  if (cpu) spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  if (out.status) {
    const current = (out.status.currentMetrics ?? []).find((m: Obj) => m.type === "Resource" && m.resource?.name === "cpu");
    delete out.status.currentMetrics;
    delete out.status.conditions;
    if (current?.resource?.current?.averageUtilization !== undefined) out.status.currentCPUUtilizationPercentage = current.resource.current.averageUtilization;
  }
  if (out.metadata?.annotations) delete out.metadata.annotations[CPU_ANNOTATION];
  return out;
}

export const autoscalingV1: VersionConversion = {
  toStorage: hpaV1ToV2,
  fromStorage: (o) => (o.apiVersion !== "autoscaling/v1" ? hpaV2ToV1(o) : o),
};
