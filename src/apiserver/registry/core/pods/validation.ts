/** A pod's validation: its spec (shared with the workload templates), and what an update may change. */
import type { Pod, PodSpec } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { validatePodSpec } from "../../../../api/validation.js";

export function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec("spec", pod.spec);
}

/** The spec without what an update may change (upstream's ValidatePodUpdate). */
function immutablePart(spec: PodSpec | undefined): Partial<PodSpec> {
  const s: Partial<PodSpec> = structuredClone(spec ?? {});
  for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
  delete s.activeDeadlineSeconds;
  delete s.tolerations;
  delete s.terminationGracePeriodSeconds;
  delete s.ephemeralContainers;
  return s;
}

/** activeDeadlineSeconds may be set, or lowered, on a running pod; never raised or unset (upstream's ValidatePodUpdate). */
function validateActiveDeadlineUpdate(pod: Pod, old: Pod): FieldError[] {
  const field = "spec.activeDeadlineSeconds";
  const now = pod.spec?.activeDeadlineSeconds;
  const before = old.spec?.activeDeadlineSeconds;
  if (now === undefined || now === null) {
    return before === undefined || before === null ? [] : [{ type: "FieldValueInvalid", field, value: null, detail: "must not update from a positive integer to nil value" }];
  }
  if (now < 0 || now > 2147483647) return [{ type: "FieldValueInvalid", field, value: now, detail: "must be between 0 and 2147483647, inclusive" }];
  if (before !== undefined && before !== null && before < now) return [{ type: "FieldValueInvalid", field, value: now, detail: "must be less than or equal to previous value" }];
  return [];
}

export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const deadline = validateActiveDeadlineUpdate(pod, old);
  if (deadline.length) return deadline;
  if (jsonEqual(immutablePart(pod.spec), immutablePart(old.spec))) return [];
  return [{ type: "FieldValueForbidden", field: "spec", detail: "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)" }];
}
