/**
 * ValidatingAdmissionPolicy and its binding: upstream's validation of what
 * the plugin needs (a policy's expressions compile, with upstream's paths
 * and cel-go's messages; a binding names a policy and its actions); a
 * policy's status is its controller's.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-types/admissionregistration/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { invalidValue, qualifiedName, required } from "../../../../api/validation.js";
import { TypedExpressionChecker, type Schema } from "../../../cel/index.js";
import { bumpGenerationOnChange, clearStatus, type Stored, type Strategy } from "../../strategy.js";

/**
 * What an expression of a policy may name, as upstream's compilers declare it:
 * params only with a paramKind; authorizer everywhere but in
 * messageExpressions; variables (of the names declared before, for a
 * variable) only where the policy has variables, and never in
 * matchConditions (they are compiled without composition).
 */
interface Scope { params: boolean; authorizer: boolean; variables?: string[] }

// Building an environment costs milliseconds, compiling in it does not: the few scopes policies have are kept.
const environments = new Map<string, TypedExpressionChecker>();
function environment(scope: Scope): TypedExpressionChecker {
  const key = JSON.stringify(scope);
  let env = environments.get(key);
  if (!env) {
    const names: { [name: string]: Schema | undefined } = { object: undefined, oldObject: undefined, request: undefined, namespaceObject: undefined };
    if (scope.params) names.params = undefined;
    if (scope.authorizer) names.authorizer = undefined;
    // variables.<name> of a name not declared does not compile (upstream's "undefined field"); each variable is dyn.
    if (scope.variables) names.variables = { type: "object", properties: Object.fromEntries(scope.variables.map((v) => [v, {}])) };
    env = new TypedExpressionChecker(names);
    if (environments.size >= 64) environments.delete(environments.keys().next().value!);
    environments.set(key, env);
  }
  return env;
}
const FAILURE_POLICIES = ["Fail", "Ignore"];
const ACTIONS = ["Audit", "Deny", "Warn"];
const MAX_AUDIT_ANNOTATIONS = 20;
// Less than an annotation value's 10 KiB: an expression that joins strings often yields more than its own length.
const MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH = 5 * 1024;
/** cel-go's names of the result types an expression may have, as upstream's compiler prints them. */
const CEL_TYPE_NAMES: Record<string, string> = { null: "null_type" };

/** The expression compiles in the policy's environment and has one of the types want, if given (dyn passes: the variables here are dyn). */
function compiled(env: TypedExpressionChecker, field: string, expr: string | undefined, want: string[] | undefined, errs: FieldError[], value: string | undefined = expr, opts: { nullBranches?: boolean } = {}): void {
  if (!expr) { errs.push(required(field)); return; }
  const c = env.check(expr, opts);
  if ("error" in c) errs.push({ type: "FieldValueInvalid", field, value, detail: `compilation failed: ${c.error}` });
  else if (want && !want.includes(c.type) && c.type !== "dyn") {
    const names = want.map((t) => CEL_TYPE_NAMES[t] ?? t);
    errs.push({ type: "FieldValueInvalid", field, value, detail: names.length === 1 ? `must evaluate to ${names[0]}` : `must evaluate to one of [${names.join(" ")}]` });
  }
}

/** Upstream's validateAuditAnnotation and the keys' uniqueness: `<policy name>/<key>` a qualified name, the valueExpression string or null. */
function validateAuditAnnotations(o: Stored<ValidatingAdmissionPolicy>, env: TypedExpressionChecker, errs: FieldError[]): void {
  const list = o.spec?.auditAnnotations;
  if (!list) return;
  const name = o.metadata?.name ?? "";
  if (list.length > MAX_AUDIT_ANNOTATIONS) errs.push(invalidValue("spec.auditAnnotations", list, `must not have more than ${MAX_AUDIT_ANNOTATIONS} auditAnnotations`));
  const keys = new Set<string>();
  list.forEach((x, i) => {
    const at = `spec.auditAnnotations[${i}]`;
    const key = x.key ?? "";
    if (name) errs.push(...qualifiedName(`${at}.key`, `${name}/${key}`));
    else errs.push(invalidValue(`${at}.key`, key, "requires metadata.name be non-empty"));
    const trimmed = (x.valueExpression ?? "").trim();
    if (!trimmed) errs.push(required(`${at}.valueExpression`, "valueExpression is not specified"));
    else if (Buffer.byteLength(trimmed) > MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH) errs.push(required(`${at}.valueExpression`, `must not exceed ${MAX_AUDIT_ANNOTATION_VALUE_EXPRESSION_LENGTH} bytes in length`));
    else compiled(env, `${at}.valueExpression`, trimmed, ["string", "null"], errs, x.valueExpression, { nullBranches: true });
    if (keys.has(key)) errs.push({ type: "FieldValueDuplicate", field: `${at}.key`, value: key });
    keys.add(key);
  });
}

/** A CEL identifier, as upstream's isCELIdentifier: a letter or _, then letters, digits or _, and not a reserved word. */
const CEL_RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);
const isCELIdentifier = (s: string) => /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(s) && !CEL_RESERVED.has(s);

function validatePolicy(o: Stored<ValidatingAdmissionPolicy>): FieldError[] {
  const s = o.spec ?? {};
  const errs: FieldError[] = [];
  if (!s.matchConstraints?.resourceRules?.length) errs.push(required("spec.matchConstraints.resourceRules"));
  if (s.failurePolicy !== undefined && !FAILURE_POLICIES.includes(s.failurePolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: "spec.failurePolicy", value: s.failurePolicy, detail: 'supported values: "Fail", "Ignore"' });
  }
  const params = Boolean(s.paramKind);
  const names = s.variables?.length ? s.variables.map((v) => v.name) : undefined;
  const expressions = environment({ params, authorizer: true, variables: names });
  const messages = environment({ params, authorizer: false, variables: names });
  const conditions = environment({ params, authorizer: true });
  (s.matchConditions ?? []).forEach((m, i) => compiled(conditions, `spec.matchConditions[${i}].expression`, m.expression, ["bool"], errs));
  (s.variables ?? []).forEach((v, i) => {
    if (!v.name?.trim()) errs.push(required(`spec.variables[${i}].name`, "name is not specified"));
    else if (!isCELIdentifier(v.name)) errs.push(invalidValue(`spec.variables[${i}].name`, v.name, "name is not a valid CEL identifier"));
    if (!v.expression?.trim()) errs.push(required(`spec.variables[${i}].expression`, "expression is not specified"));
    else compiled(environment({ params, authorizer: true, variables: names!.slice(0, i) }), `spec.variables[${i}].expression`, v.expression, undefined, errs);
  });
  if (!s.validations?.length && !s.auditAnnotations?.length) {
    errs.push(required("spec.validations", "validations or auditAnnotations must contain at least one item"));
    errs.push(required("spec.auditAnnotations", "validations or auditAnnotations must contain at least one item"));
  } else {
    (s.validations ?? []).forEach((v, i) => {
      if (!v.expression?.trim()) errs.push(required(`spec.validations[${i}].expression`, "expression is not specified"));
      else compiled(expressions, `spec.validations[${i}].expression`, v.expression, ["bool"], errs);
      // Compiled untrimmed, as upstream, so that the columns of errors are the user's.
      if (v.messageExpression && !v.messageExpression.trim()) errs.push(invalidValue(`spec.validations[${i}].messageExpression`, v.messageExpression, "must be non-empty if specified"));
      else if (v.messageExpression) compiled(messages, `spec.validations[${i}].messageExpression`, v.messageExpression, ["string"], errs);
    });
    validateAuditAnnotations(o, expressions, errs);
  }
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
    errs.push({ type: "FieldValueInvalid", field: "spec.validationActions", value: s.validationActions, detail: "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)" });
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
