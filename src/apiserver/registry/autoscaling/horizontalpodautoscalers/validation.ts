/**
 * HorizontalPodAutoscaler validation (upstream's pkg/apis/autoscaling/validation),
 * on the v2 form the object is stored in: a target to scale, replica bounds
 * (minReplicas of 0 is refused, as upstream without the HPAScaleToZero gate),
 * well-formed metrics and scaling rules.
 */
import type { HPAScalingRules, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget } from "kubernetes-types/autoscaling/v2.js";
import type { FieldError } from "../../../../api/errors.js";
import { invalidValue, required } from "../../../../api/validation.js";
import { parseQuantity } from "../../../../api/quantity.js";

const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const METRIC_TYPES = ["Object", "Pods", "Resource", "ContainerResource", "External"];
const SOURCE_FIELD: Record<string, keyof MetricSpec> = { Object: "object", Pods: "pods", Resource: "resource", ContainerResource: "containerResource", External: "external" };

function validateTarget(t: MetricTarget | undefined, path: string, utilizationAllowed: boolean): FieldError[] {
  if (!t) return [required(`${path}.target`, "must specify a target")];
  const errs: FieldError[] = [];
  const valid = ["Utilization", "Value", "AverageValue"];
  if (!t.type) errs.push(required(`${path}.target.type`, "must specify a metric target type"));
  else if (!valid.includes(t.type)) errs.push({ type: "FieldValueNotSupported", field: `${path}.target.type`, value: t.type, detail: `supported values: "${valid.join('", "')}"` });
  const positive = (field: string, v: string | number | undefined) => {
    if (v !== undefined && !(parseQuantity(v) > 0)) errs.push(invalidValue(`${path}.target.${field}`, v, "must be positive"));
  };
  positive("value", t.value);
  positive("averageValue", t.averageValue);
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) errs.push(invalidValue(`${path}.target.averageUtilization`, t.averageUtilization, "must be greater than 0"));
  if (t.type === "Utilization" && t.averageUtilization === undefined) errs.push(required(`${path}.target.averageUtilization`, "must set either a target raw value or a target utilization"));
  if (t.type === "Value" && t.value === undefined) errs.push(required(`${path}.target.value`, "must set either a target value for metric or a per-pod target"));
  if (t.type === "AverageValue" && t.averageValue === undefined) errs.push(required(`${path}.target.averageValue`, "must set either a target value for metric or a per-pod target"));
  if (!utilizationAllowed && t.averageUtilization !== undefined) errs.push(invalidValue(`${path}.target.averageUtilization`, t.averageUtilization, "may not set averageUtilization for this metric type"));
  return errs;
}

function validateMetric(m: MetricSpec, path: string): FieldError[] {
  if (!m.type) return [required(`${path}.type`, "must specify a metric source type")];
  if (!METRIC_TYPES.includes(m.type)) return [{ type: "FieldValueNotSupported", field: `${path}.type`, value: m.type, detail: `supported values: "${METRIC_TYPES.join('", "')}"` }];
  const field = SOURCE_FIELD[m.type]!;
  const errs: FieldError[] = [];
  for (const other of Object.values(SOURCE_FIELD)) {
    if (other !== field && m[other] !== undefined) errs.push({ type: "FieldValueForbidden", field: `${path}.${other}`, detail: "must populate the given metric source only" });
  }
  const source = m[field] as Record<string, unknown> | undefined;
  if (!source) return [...errs, required(`${path}.${field}`, `must populate information for the given metric source`)];
  const p = `${path}.${field}`;
  if (m.type === "Resource" || m.type === "ContainerResource") {
    if (!source.name) errs.push(required(`${p}.name`, "must specify a resource name"));
    if (m.type === "ContainerResource" && !source.container) errs.push(required(`${p}.container`, "must specify a container"));
    errs.push(...validateTarget(source.target as MetricTarget | undefined, p, true));
  } else {
    const metric = source.metric as { name?: string } | undefined;
    if (!metric?.name) errs.push(required(`${p}.metric.name`, "must specify a metric name"));
    if (m.type === "Object") {
      const d = source.describedObject as { kind?: string; name?: string } | undefined;
      if (!d?.kind) errs.push(required(`${p}.describedObject.kind`));
      if (!d?.name) errs.push(required(`${p}.describedObject.name`));
    }
    errs.push(...validateTarget(source.target as MetricTarget | undefined, p, false));
  }
  return errs;
}

function validateRules(r: HPAScalingRules | undefined, path: string): FieldError[] {
  if (!r) return [];
  const errs: FieldError[] = [];
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && w < 0) errs.push(invalidValue(`${path}.stabilizationWindowSeconds`, w, "must be greater than or equal to zero"));
  if (w !== undefined && w > MAX_STABILIZATION_WINDOW_SECONDS) errs.push(invalidValue(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  if (r.selectPolicy !== undefined && !["Max", "Min", "Disabled"].includes(r.selectPolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: `${path}.selectPolicy`, value: r.selectPolicy, detail: 'supported values: "Disabled", "Max", "Min"' });
  }
  if (!r.policies?.length) errs.push(required(`${path}.policies`, "must specify at least one Policy"));
  (r.policies ?? []).forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (!["Pods", "Percent"].includes(p.type)) errs.push({ type: "FieldValueNotSupported", field: `${pp}.type`, value: p.type, detail: 'supported values: "Percent", "Pods"' });
    if (!(p.value > 0)) errs.push(invalidValue(`${pp}.value`, p.value, "must be greater than zero"));
    if (!(p.periodSeconds > 0)) errs.push(invalidValue(`${pp}.periodSeconds`, p.periodSeconds, "must be greater than zero"));
    else if (p.periodSeconds > MAX_PERIOD_SECONDS) errs.push(invalidValue(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

export function validateHpaSpec(spec: Partial<HorizontalPodAutoscalerSpec> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const ref = spec?.scaleTargetRef;
  if (!ref?.kind) errs.push(required("spec.scaleTargetRef.kind"));
  if (!ref?.name) errs.push(required("spec.scaleTargetRef.name"));
  const min = spec?.minReplicas;
  const max = spec?.maxReplicas;
  if (min !== undefined && min < 1) errs.push(invalidValue("spec.minReplicas", min, "must be greater than or equal to 1"));
  if (max === undefined || max < 1) errs.push(invalidValue("spec.maxReplicas", max ?? 0, "must be greater than or equal to 1"));
  else if (min !== undefined && max < min) errs.push(invalidValue("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  (spec?.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
  errs.push(...validateRules(spec?.behavior?.scaleUp, "spec.behavior.scaleUp"), ...validateRules(spec?.behavior?.scaleDown, "spec.behavior.scaleDown"));
  return errs;
}
