/**
 * Conversion between versions that share one storage: objects are stored in
 * the first listed (storage) version and converted on the way in and out.
 * Today that is HorizontalPodAutoscaler, stored as autoscaling/v2 and served
 * as v1 too (`kubectl autoscale` writes v1).
 */
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON

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

/** Converts an object read from storage to the version it is served as. */
export function convertFromStorage(kind: string, group: string, version: string, obj: Obj): Obj {
  if (kind === "HorizontalPodAutoscaler" && group === "autoscaling" && version === "v1" && obj.apiVersion !== "autoscaling/v1") return hpaV2ToV1(obj);
  return obj;
}

/** Converts an object written through a version to the storage version. */
export function convertToStorage(kind: string, group: string, version: string, obj: Obj): Obj {
  if (kind === "HorizontalPodAutoscaler" && group === "autoscaling" && version === "v1") return hpaV1ToV2(obj);
  return obj;
}
