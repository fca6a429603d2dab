/** Deployments: rolling updates by default, a fixed selector, status is the deployment controller's. */
import type { Deployment, DeploymentSpec } from "kubernetes-types/apps/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { age, containers, images, selectorText, tablePrinter } from "../../../../api/tables.js";
import { immutableSelector, invalidValue, nonNegative, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { labelSelectorScale } from "../../scale.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

function intOrPercent(field: string, v: unknown): FieldError[] {
  if (v === undefined || (typeof v === "number" && v >= 0)) return [];
  if (typeof v === "string" && /^\d+%$/.test(v)) return [];
  return [invalidValue(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
}

function validateDeployment(o: Stored<Deployment>): FieldError[] {
  const s = o.spec ?? ({} as DeploymentSpec);
  const errs = [...nonNegative("spec.replicas", s.replicas), ...validateSelectorAndTemplate(s)];
  if (!["RollingUpdate", "Recreate"].includes(s.strategy?.type ?? "")) {
    errs.push({ type: "FieldValueNotSupported", field: "spec.strategy.type", value: s.strategy?.type, detail: 'supported values: "Recreate", "RollingUpdate"' });
  }
  const ru = s.strategy?.rollingUpdate;
  if (ru) {
    errs.push(...intOrPercent("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable), ...intOrPercent("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge));
    if ((ru.maxUnavailable === 0 || ru.maxUnavailable === "0%") && (ru.maxSurge === 0 || ru.maxSurge === "0%")) {
      errs.push(invalidValue("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
    }
  }
  return errs;
}

const deploymentTable = tablePrinter<Stored<Deployment>>(
  [["Ready"], ["Up-to-date", "integer"], ["Available", "integer"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
  (o, now) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, o.status?.updatedReplicas ?? 0, o.status?.availableReplicas ?? 0, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)],
);

export const deploymentStrategy: Strategy<Stored<Deployment>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as DeploymentSpec);
    spec.replicas ??= 1;
    const strategy = (spec.strategy ??= {});
    strategy.type ??= "RollingUpdate";
    if (strategy.type === "RollingUpdate") {
      strategy.rollingUpdate ??= {};
      strategy.rollingUpdate.maxUnavailable ??= "25%";
      strategy.rollingUpdate.maxSurge ??= "25%";
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  // Upstream: annotations bump the generation too, since the controller copies them to the ReplicaSets.
  prepareForUpdate(o, old) {
    if (!jsonEqual(o.spec, old.spec) || !jsonEqual(o.metadata.annotations ?? {}, old.metadata.annotations ?? {})) o.metadata.generation = (old.metadata.generation ?? 0) + 1;
  },
  // A status write keeps the spec and, as upstream's deploymentStatusStrategy, the labels.
  subresourceUpdates: {
    status: { merge: (current, input) => ({ ...current, metadata: { ...(input.metadata ?? current.metadata), labels: current.metadata.labels }, status: input.status }) },
  },
  subresources: { scale: labelSelectorScale },
  printer: deploymentTable,
  validate: validateDeployment,
  validateUpdate: immutableSelector,
};
