/** Jobs: a generated selector (unless spec.manualSelector), a template fixed while running, status is the job controller's. */
import { randomUUID } from "node:crypto";
import type { Job, JobSpec } from "kubernetes-types/batch/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { immutable, immutableSelector, nonNegative, validatePodSpec } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { jobTable } from "./table.js";

/** Upstream's SetDefaults_JobSpec, shared with CronJobs' job template. */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  // With a limit per index, the Job-wide limit only applies when given.
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= "TerminatingOrFailed";
  defaultPodTemplate(spec.template);
}

function validateJob(o: Stored<Job>): FieldError[] {
  const s = o.spec ?? ({} as JobSpec);
  const errs = [...nonNegative("spec.parallelism", s.parallelism), ...nonNegative("spec.completions", s.completions), ...nonNegative("spec.backoffLimit", s.backoffLimit)];
  errs.push(...validatePodSpec("spec.template.spec", s.template?.spec));
  if (s.template?.spec && !["OnFailure", "Never"].includes(s.template.spec.restartPolicy ?? "")) {
    errs.push({ type: "FieldValueNotSupported", field: "spec.template.spec.restartPolicy", value: s.template.spec.restartPolicy, detail: 'supported values: "OnFailure", "Never"' });
  }
  return errs;
}

/** The selector and completions never change; the template only while the Job is suspended. */
function validateJobUpdate(o: Stored<Job>, old: Stored<Job>): FieldError[] {
  const errs = immutableSelector(o, old);
  if (!jsonEqual(o.spec?.template, old.spec?.template) && !old.spec?.suspend) errs.push(immutable("spec.template", o.spec?.template));
  if (!jsonEqual(o.spec?.completions, old.spec?.completions)) errs.push(immutable("spec.completions", o.spec?.completions));
  return errs;
}

export const jobStrategy: Strategy<Stored<Job>> = {
  defaultGarbageCollectionPolicy: (version) => (version === "v1" ? "Orphan" : "Background"),
  orphanByDefaultWarning: "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning",
  defaults(o) { defaultJobSpec((o.spec ??= {} as JobSpec)); },
  prepareForCreate(o) {
    clearStatus(o);
    const spec = o.spec ?? ({} as JobSpec);
    if (!spec.manualSelector) {
      // Upstream's generateSelector: the pods carry the Job's uid, and the selector asks for it.
      const uid: string = o.metadata.uid ?? randomUUID();
      const name = o.metadata.name ?? "";
      const labels = { "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name };
      spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      spec.template ??= {} as PodTemplateSpec;
      spec.template.metadata ??= {};
      spec.template.metadata.labels = { ...labels, ...(spec.template.metadata.labels ?? {}) };
    }
  },
  printer: jobTable,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  fieldSelectors: ["status.successful"],
};
