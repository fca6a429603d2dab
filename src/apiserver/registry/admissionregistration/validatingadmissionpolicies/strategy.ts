/**
 * ValidatingAdmissionPolicy and its binding: upstream's validation of what
 * the plugin needs (a policy's expressions compile, with upstream's paths
 * and cel-go's messages; a binding names a policy and its actions); a
 * policy's status is its controller's.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-types/admissionregistration/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { required } from "../../../../api/validation.js";
import { ExpressionEnvironment } from "../../../cel/index.js";
import { bumpGenerationOnChange, clearStatus, type Stored, type Strategy } from "../../strategy.js";

// One environment for every policy write: building one costs milliseconds, compiling in it does not.
const env = new ExpressionEnvironment(["object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer"]);
const FAILURE_POLICIES = ["Fail", "Ignore"];
const ACTIONS = ["Audit", "Deny", "Warn"];

function compiled(field: string, expr: string | undefined, want: string[], errs: FieldError[]): void {
  if (!expr) { errs.push(required(field)); return; }
  const c = env.compile(expr);
  if ("error" in c) errs.push({ type: "FieldValueInvalid", field, value: expr, detail: `compilation failed: ${c.error}` });
  else if (!want.includes(c.type) && c.type !== "dyn") errs.push({ type: "FieldValueInvalid", field, value: expr, detail: `must evaluate to ${want.join(" or ")}` });
}

function validatePolicy(o: Stored<ValidatingAdmissionPolicy>): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  if (!s.matchConstraints?.resourceRules?.length) errs.push(required("spec.matchConstraints.resourceRules"));
  if (s.failurePolicy !== undefined && !FAILURE_POLICIES.includes(s.failurePolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: "spec.failurePolicy", value: s.failurePolicy, detail: 'supported values: "Fail", "Ignore"' });
  }
  if (!s.validations?.length && !s.auditAnnotations?.length) errs.push({ type: "FieldValueRequired", field: "spec.validations", detail: "validations or auditAnnotations must contain at least one item" });
  (s.variables ?? []).forEach((v, i) => compiled(`spec.variables[${i}].expression`, v.expression, ["dyn"], errs));
  (s.validations ?? []).forEach((v, i) => {
    compiled(`spec.validations[${i}].expression`, v.expression, ["bool"], errs);
    if (v.messageExpression !== undefined) compiled(`spec.validations[${i}].messageExpression`, v.messageExpression, ["string"], errs);
  });
  (s.matchConditions ?? []).forEach((m, i) => compiled(`spec.matchConditions[${i}].expression`, m.expression, ["bool"], errs));
  return errs;
}

function validateBinding(o: Stored<ValidatingAdmissionPolicyBinding>): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  if (!s.policyName) errs.push(required("spec.policyName"));
  if (!s.validationActions?.length) errs.push({ type: "FieldValueRequired", field: "spec.validationActions", detail: "at least one validation action is required" });
  (s.validationActions ?? []).forEach((a, i) => {
    if (!ACTIONS.includes(a)) errs.push({ type: "FieldValueNotSupported", field: `spec.validationActions[${i}]`, value: a, detail: 'supported values: "Audit", "Deny", "Warn"' });
  });
  if ((s.validationActions ?? []).includes("Deny") && (s.validationActions ?? []).includes("Warn")) {
    errs.push({ type: "FieldValueInvalid", field: "spec.validationActions", value: s.validationActions, detail: "Deny and Warn actions are not allowed together" });
  }
  return errs;
}

export const validatingAdmissionPolicyStrategy: Strategy<Stored<ValidatingAdmissionPolicy>> = {
  defaults(o) {
    const s = (o.spec ??= {});
    s.failurePolicy ??= "Fail";
    const m = (s.matchConstraints ??= {});
    m.matchPolicy ??= "Equivalent";
    m.namespaceSelector ??= {};
    m.objectSelector ??= {};
    for (const r of (m.resourceRules ?? []) as { scope?: string }[]) r.scope ??= "*";
  },
  prepareForCreate: clearStatus,
  prepareForUpdate: bumpGenerationOnChange,
  validate: validatePolicy,
};

export const validatingAdmissionPolicyBindingStrategy: Strategy<Stored<ValidatingAdmissionPolicyBinding>> = {
  defaults(o) {
    const ref = o.spec?.paramRef;
    if (ref) ref.parameterNotFoundAction ??= "Deny";
  },
  prepareForUpdate: bumpGenerationOnChange,
  validate: validateBinding,
};
