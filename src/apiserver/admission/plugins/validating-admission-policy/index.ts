/**
 * Upstream's ValidatingAdmissionPolicy plugin (admissionregistration.k8s.io/v1):
 * each binding names a policy; a request that the policy's matchConstraints
 * (and the binding's matchResources) match is checked by the policy's CEL
 * validations, with object, oldObject, request, params (the binding's
 * paramRef of the policy's paramKind), namespaceObject and variables. A
 * failed validation is acted on as the binding's validationActions say:
 * Deny refuses (upstream's message and status from the validation's reason),
 * Warn adds a warning, Audit an audit annotation. The policy's
 * auditAnnotations are evaluated for every binding that matches, whatever
 * its actions: each string value becomes the request's audit annotation
 * `<policy>/<key>` (distinct values of several bindings or params joined by
 * ", "). As upstream's dispatcher, every policy is evaluated and the first
 * denial is returned at the end, after the annotations and warnings of all.
 * Expressions are compiled once per policy generation.
 */
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { AuditAnnotation, MatchResources, NamedRuleWithOperations, ParamKind, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, Validation } from "kubernetes-types/admissionregistration/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { ApiError, qualifiedResource } from "../../../../api/errors.js";
import { labelSelectorRequirements, matchesLabels } from "../../../../api/selectors.js";
import { authorizerFor, evalErrorText, ExpressionEnvironment, type CompiledExpression } from "../../../cel/index.js";
import type { Authorizer } from "../../../authorization/authorizer.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../../admission.js";

export interface PolicyDependencies {
  policies(): ValidatingAdmissionPolicy[];
  bindings(): ValidatingAdmissionPolicyBinding[];
  /** The objects of paramKind: the one named in namespace, or those matching selector there (namespace undefined: cluster-scoped or all). */
  getParams(kind: ParamKind, namespace: string | undefined, name: string | undefined, selector: LabelSelector | undefined): Promise<AdmissionObject[]>;
  getNamespace(name: string): Promise<Namespace | undefined>;
  /** The server's authorizer, for the CEL authorizer library's checks (none: the variable is null). */
  authorizer?: Authorizer;
}

const VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer"];
/** Upstream's bound on an audit annotation's value (longer values are cut). */
const MAX_AUDIT_ANNOTATION_VALUE_LENGTH = 10 * 1024;

type Compiled = CompiledExpression | { error: string };

/** The CEL type name cel-go prints for a value (an audit annotation's unsupported result). */
function celTypeName(v: unknown): string {
  if (v === null || v === undefined) return "null_type";
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "double";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map || typeof v === "object") return "map";
  return typeof v;
}

interface CompiledPolicy {
  generation: number | undefined;
  variables: { name: string; expr: CompiledExpression | { error: string } }[];
  matchConditions: { name: string; expr: CompiledExpression | { error: string } }[];
  validations: { v: Validation; expr: CompiledExpression | { error: string }; message?: CompiledExpression | { error: string } }[];
  /** text: the valueExpression trimmed, as upstream compiles and names it. */
  auditAnnotations: { a: AuditAnnotation; text: string; expr: Compiled }[];
}

/** What one policy's evaluation yields: the denials (the first is the response) and its audit annotations by key. */
interface Outcome {
  denials: ApiError[];
  annotations: Map<string, string[]>;
}

const matchesAny = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === "*" || x === value);

/** kubernetes-types leaves out the fields NamedRuleWithOperations inlines from Rule. */
type Rule = NamedRuleWithOperations & { resources?: string[]; scope?: string };

function ruleMatches(r: Rule, a: AdmissionAttributes): boolean {
  const resource = a.subresource ? `${a.info.resource}/${a.subresource}` : a.info.resource;
  const resources = r.resources ?? [];
  const resourceOk = resources.some((x: string) => x === "*" ? !a.subresource : x === "*/*" || x === resource || (x.startsWith("*/") && x.slice(2) === a.subresource) || (x.endsWith("/*") && x.slice(0, -2) === a.info.resource));
  const scope = r.scope ?? "*";
  const scopeOk = scope === "*" || (scope === "Namespaced") === a.info.namespaced;
  const nameOk = !r.resourceNames?.length || r.resourceNames.includes(a.name);
  return matchesAny(r.apiGroups, a.info.group) && matchesAny(r.apiVersions, a.info.version) && matchesAny(r.operations, a.operation) && resourceOk && scopeOk && nameOk;
}

export class ValidatingAdmissionPolicyPlugin implements AdmissionPlugin {
  readonly name = "ValidatingAdmissionPolicy";
  private readonly env = new ExpressionEnvironment(VARIABLES);
  private readonly compiled = new Map<string, CompiledPolicy>();

  constructor(private readonly deps: PolicyDependencies) {}

  private compile(p: ValidatingAdmissionPolicy): CompiledPolicy {
    const key = p.metadata?.uid ?? p.metadata?.name ?? "";
    let c = this.compiled.get(key);
    if (!c || c.generation !== p.metadata?.generation) {
      c = {
        generation: p.metadata?.generation,
        variables: (p.spec?.variables ?? []).map((v) => ({ name: v.name, expr: this.env.compile(v.expression) })),
        matchConditions: (p.spec?.matchConditions ?? []).map((m) => ({ name: m.name, expr: this.env.compile(m.expression) })),
        validations: (p.spec?.validations ?? []).map((v) => ({ v, expr: this.env.compile(v.expression), message: v.messageExpression ? this.env.compile(v.messageExpression) : undefined })),
        auditAnnotations: (p.spec?.auditAnnotations ?? []).map((a) => ({ a, text: a.valueExpression.trim(), expr: this.env.compile(a.valueExpression.trim(), { nullBranches: true }) })),
      };
      this.compiled.set(key, c);
    }
    return c;
  }

  /** Whether the request is what the match resources select: rules, exclusions, namespace and object selectors. */
  private async matches(m: MatchResources | undefined, a: AdmissionAttributes): Promise<boolean> {
    if (!m) return true;
    if (!(m.resourceRules ?? []).some((r) => ruleMatches(r, a))) return false;
    if ((m.excludeResourceRules ?? []).some((r) => ruleMatches(r, a))) return false;
    if (m.objectSelector) {
      const reqs = labelSelectorRequirements(m.objectSelector);
      const labelsOf = (o?: AdmissionObject) => (o?.metadata?.labels ?? {}) as Record<string, string>;
      if (!matchesLabels(reqs, labelsOf(a.object)) && !(a.oldObject && matchesLabels(reqs, labelsOf(a.oldObject)))) return false;
    }
    if (m.namespaceSelector && a.info.namespaced && a.namespace) {
      const ns = await this.deps.getNamespace(a.namespace);
      if (!matchesLabels(labelSelectorRequirements(m.namespaceSelector), (ns?.metadata?.labels ?? {}) as Record<string, string>)) return false;
    }
    return true;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const bindings = this.deps.bindings();
    const denials: ApiError[] = [];
    for (const p of this.deps.policies()) {
      const policy = p.metadata?.name ?? "";
      const bound = bindings.filter((b) => b.spec?.policyName === policy);
      if (!p.spec || !bound.length) continue;
      if (!(await this.matches(p.spec.matchConstraints, a))) continue;
      const outcome: Outcome = { denials, annotations: new Map() };
      for (const b of bound) {
        if (b.spec?.matchResources && !(await this.matches(b.spec.matchResources, a))) continue;
        await this.check(p, b, a, outcome);
      }
      for (const [key, values] of outcome.annotations) a.addAuditAnnotation?.(`${policy}/${key}`, values.join(", "));
    }
    if (denials.length) throw denials[0];
  }

  private async check(p: ValidatingAdmissionPolicy, b: ValidatingAdmissionPolicyBinding, a: AdmissionAttributes, out: Outcome): Promise<void> {
    const policy = p.metadata?.name ?? "";
    const binding = b.metadata?.name ?? "";
    const actions = b.spec?.validationActions ?? [];
    const failClosed = (p.spec?.failurePolicy ?? "Fail") === "Fail";
    const deny = (message: string, reason = "Invalid"): ApiError => this.deny(a, `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${message}`, reason);

    let paramsList: (AdmissionObject | null)[] = [null];
    const kind = p.spec?.paramKind;
    if (kind) {
      const ref = b.spec?.paramRef;
      if (!ref) {
        if (failClosed) out.denials.push(deny("failed to configure binding: no paramRef specified"));
        return;
      }
      const ns = ref.namespace ?? (a.info.namespaced ? a.namespace : undefined);
      const found = await this.deps.getParams(kind, ns, ref.name, ref.selector);
      if (!found.length) {
        // As every configuration error of a binding, it refuses under failurePolicy Fail only.
        if ((ref.parameterNotFoundAction ?? "Deny") === "Deny" && failClosed) out.denials.push(this.deny(a, `failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`, "Invalid"));
        return;
      }
      paramsList = found;
    }
    const namespaceObject = a.info.namespaced && a.namespace ? (await this.deps.getNamespace(a.namespace)) ?? null : null;
    const request = {
      kind: { group: a.info.group, version: a.info.version, kind: a.info.kind },
      resource: { group: a.info.group, version: a.info.version, resource: a.info.resource },
      subResource: a.subresource, name: a.name || a.object?.metadata?.name || "", namespace: a.namespace, operation: a.operation,
      userInfo: { username: a.user.username, groups: a.user.groups }, dryRun: a.dryRun,
    };
    // authorizer checks as the request's user; authorizer.requestResource is the request's own resource.
    const authorizer = this.deps.authorizer ? authorizerFor(this.deps.authorizer, a.user, { group: a.info.group, resource: a.info.resource, subresource: a.subresource, namespace: a.namespace, name: request.name }) : null;
    const c = this.compile(p);
    for (const params of paramsList) {
      const vars = { object: a.operation === "DELETE" ? null : a.object, oldObject: a.oldObject ?? null, request, params, namespaceObject };
      // matchConditions: all true to apply; one false skips the policy; an error follows failurePolicy.
      let applies = true;
      for (const m of c.matchConditions) {
        let ok: unknown;
        try {
          if ("error" in m.expr) throw new Error(m.expr.error);
          ok = m.expr.run({ ...vars }, { authorizer });
        } catch (e) {
          if (failClosed) out.denials.push(deny(`failed to evaluate matchCondition '${m.name}': ${evalErrorText(e)}`));
          ok = false;
        }
        if (ok !== true) { applies = false; break; }
      }
      if (!applies) continue;
      const variables = new Map<string, unknown>();
      for (const v of c.variables) {
        if ("error" in v.expr) continue;
        try { variables.set(v.name, v.expr.run({ ...vars }, { variables, authorizer })); } catch { /* an unusable variable fails the expressions that read it */ }
      }
      for (const { v, expr, message } of c.validations) {
        let failure: string | undefined;
        // An evaluation error has no reason (Invalid); a failed validation has its own.
        let reason = "Invalid";
        if ("error" in expr) {
          if (!failClosed) continue;
          failure = `compilation error: ${expr.error}`;
        } else {
          try {
            const ok = expr.run({ ...vars }, { variables, authorizer });
            if (ok !== true) { failure = this.messageOf(v, message, vars, variables); reason = v.reason ?? "Invalid"; }
          } catch (e) {
            failure = `expression '${v.expression}' resulted in error: ${evalErrorText(e)}`;
            if (!failClosed) continue;
          }
        }
        if (failure === undefined) continue;
        if (actions.includes("Warn")) a.addWarning(`Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${failure}`);
        if (actions.includes("Audit")) a.addAuditAnnotation?.("validation.policy.admission.k8s.io/validation_failure", JSON.stringify([{ message: failure, policy, binding, expressionIndex: c.validations.findIndex((x) => x.v === v), validationActions: actions }]));
        if (actions.includes("Deny")) out.denials.push(deny(failure, reason));
      }
      this.annotate(c, vars, { variables, authorizer }, failClosed, deny, out);
    }
  }

  /**
   * The policy's auditAnnotations for one binding and param, whatever the
   * binding's actions (upstream's validator evaluates them beside the
   * validations): a string value, trimmed and not empty, is collected under
   * its key; null and "" add nothing. An evaluation error refuses the
   * request under failurePolicy Fail and is skipped under Ignore; a value of
   * another type refuses it under either, as upstream's validator does.
   */
  private annotate(c: CompiledPolicy, vars: { [k: string]: unknown }, celVars: { variables: Map<string, unknown>; authorizer: unknown }, failClosed: boolean, deny: (message: string) => ApiError, out: Outcome): void {
    for (const { a, text: source, expr } of c.auditAnnotations) {
      let value: unknown;
      try {
        if ("error" in expr) { if (failClosed) out.denials.push(deny(`compilation error: ${expr.error}`)); continue; }
        value = expr.run({ ...vars }, celVars);
      } catch (e) {
        if (failClosed) out.denials.push(deny(`expression '${source}' resulted in error: ${evalErrorText(e)}`));
        continue;
      }
      if (value === null || value === undefined) continue;
      if (typeof value !== "string") {
        out.denials.push(deny(`valueExpression '${source}' resulted in unsupported return type: ${celTypeName(value)}. Return type must be either string or null.`));
        continue;
      }
      const text = value.trim().slice(0, MAX_AUDIT_ANNOTATION_VALUE_LENGTH);
      if (!text) continue;
      const values = out.annotations.get(a.key) ?? [];
      if (!values.includes(text)) values.push(text);
      out.annotations.set(a.key, values);
    }
  }

  private messageOf(v: Validation, message: CompiledExpression | { error: string } | undefined, vars: { [k: string]: unknown }, variables: Map<string, unknown>): string {
    if (message && !("error" in message)) {
      try {
        const m = message.run({ ...vars }, { variables });
        if (typeof m === "string" && m.trim() && !/[\r\n]/.test(m)) return m;
      } catch { /* as upstream: the message, else the expression */ }
    }
    return v.message ?? `failed expression: ${v.expression}`;
  }

  /** Upstream's refusal: a status of the validation's reason, naming the resource as kubectl prints it. */
  private deny(a: AdmissionAttributes, message: string, reason: string): ApiError {
    const name = a.name || String(a.object?.metadata?.name ?? "");
    const resource = qualifiedResource(a.info.resource, a.info.group);
    const details = { name, group: a.info.group, kind: a.info.resource };
    switch (reason) {
      case "Forbidden": return new ApiError(403, "Forbidden", `${resource} "${name}" is forbidden: ${message}`, details);
      case "Unauthorized": return new ApiError(401, "Unauthorized", message, details);
      case "RequestEntityTooLarge": return new ApiError(413, "RequestEntityTooLarge", message, details);
      default: return new ApiError(422, "Invalid", `${resource} "${name}" is invalid: : ${message}`, { ...details, causes: [{ reason: "FieldValueInvalid", message, field: "" }] });
    }
  }
}
