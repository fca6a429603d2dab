/**
 * Upstream's ValidateRuntimeClass (pkg/apis/node/validation): the handler is
 * a DNS label (and fixed once written, see validateUpdate); the pod overhead
 * names container resources in non-negative amounts; the scheduling node
 * selector holds valid labels and its tolerations are well formed and unique.
 */
import type { RuntimeClass } from "kubernetes-types/node/v1.js";
import type { Toleration } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { ExactQuantity } from "../../../../api/exact-quantity.js";
import { dns1123Label, validateLabels } from "../../../../api/validation.js";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

export function validateRuntimeClass(rc: RuntimeClass): FieldError[] {
  const errs: FieldError[] = dns1123Label("handler", rc.handler ?? "");
  for (const [name, amount] of Object.entries(rc.overhead?.podFixed ?? {})) {
    const at = `overhead.podFixed[${name}]`;
    if (!name.includes("/") && !CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-")) {
      errs.push({ type: "FieldValueInvalid", field: at, value: name, detail: "must be a standard resource for containers" });
    }
    const q = ExactQuantity.parse(amount);
    if (q && q.cmp(ExactQuantity.zero) < 0) errs.push({ type: "FieldValueInvalid", field: at, value: amount, detail: "must be greater than or equal to 0" });
  }
  if (rc.scheduling?.nodeSelector) errs.push(...validateLabels("scheduling.nodeSelector", rc.scheduling.nodeSelector));
  errs.push(...validateTolerations("scheduling.tolerations", rc.scheduling?.tolerations ?? []));
  return errs;
}

/** Upstream's ValidateTolerations, with RuntimeClass's rule that no two share key, operator, value and effect. */
function validateTolerations(path: string, tolerations: Toleration[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, t] of tolerations.entries()) {
    const at = `${path}[${i}]`;
    if (!t.key && t.operator !== "Exists") {
      errs.push({ type: "FieldValueInvalid", field: `${at}.operator`, value: t.operator ?? "", detail: "operator must be Exists when `key` is empty, which means \"match all values and all keys\"" });
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== "NoExecute") {
      errs.push({ type: "FieldValueInvalid", field: `${at}.effect`, value: t.effect ?? "", detail: "effect must be 'NoExecute' when `tolerationSeconds` is set" });
    }
    if (t.operator === "Exists") {
      if (t.value) errs.push({ type: "FieldValueInvalid", field: `${at}.operator`, value: t, detail: "value must be empty when `operator` is 'Exists'" });
    } else if (t.operator === "Equal" || !t.operator) {
      if (!LABEL_VALUE.test(t.value ?? "") || (t.value ?? "").length > 63) {
        errs.push({ type: "FieldValueInvalid", field: `${at}.operator`, value: t.value, detail: "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" });
      }
    } else {
      errs.push({ type: "FieldValueNotSupported", field: `${at}.operator`, value: t.operator, detail: 'supported values: "Equal", "Exists"' });
    }
    if (t.effect && !TAINT_EFFECTS.includes(t.effect)) {
      errs.push({ type: "FieldValueNotSupported", field: `${at}.effect`, value: t.effect, detail: 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"' });
    }
    const key = JSON.stringify([t.key ?? "", t.operator ?? "", t.value ?? "", t.effect ?? ""]);
    if (seen.has(key)) errs.push({ type: "FieldValueDuplicate", field: at, value: t });
    seen.add(key);
  }
  return errs;
}
