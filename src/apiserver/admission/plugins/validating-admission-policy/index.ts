/**
 * Upstream's ValidatingAdmissionPolicy plugin (admissionregistration.k8s.io/v1):
 * each binding names a policy; a request that the policy's matchConstraints
 * (and the binding's matchResources) match is checked by the policy's CEL
 * validations, with object, oldObject, request, params (the binding's
 * paramRef of the policy's paramKind), namespaceObject and variables. A
 * failed validation is acted on as the binding's validationActions say:
 * Deny refuses (upstream's message and status from the validation's reason),
 * Warn adds a warning, Audit an audit annotation. Expressions are compiled
 * once per policy generation.
 */
import type { Namespace } from "kubernetes-types/core/v1.js";
import type { MatchResources, NamedRuleWithOperations, ParamKind, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, Validation } from "kubernetes-types/admissionregistration/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { ApiError, qualifiedResource } from "../../../../api/errors.js";
import { labelSelectorRequirements, matchesLabels } from "../../../../api/selectors.js";
import { evalErrorText, ExpressionEnvironment, type CompiledExpression } from "../../../cel/index.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../../admission.js";

export interface PolicyDependencies {
  policies(): ValidatingAdmissionPolicy[];
  bindings(): ValidatingAdmissionPolicyBinding[];
  /** The objects of paramKind: the one named in namespace, or those matching selector there (namespace undefined: cluster-scoped or all). */
  getParams(kind: ParamKind, namespace: string | undefined, name: string | undefined, selector: LabelSelector | undefined): Promise<AdmissionObject[]>;
  getNamespace(name: string): Promise<Namespace | undefined>;
}

const VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables"];

interface CompiledPolicy {
  generation: number | undefined;
  variables: { name: string; expr: CompiledExpression | { error: string } }[];
  matchConditions: { name: string; expr: CompiledExpression | { error: string } }[];
  validations: { v: Validation; expr: CompiledExpression | { error: string }; message?: CompiledExpression | { error: string } }[];
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
    const policies = new Map(this.deps.policies().map((p) => [p.metadata?.name ?? "", p]));
    for (const b of this.deps.bindings()) {
      const p = policies.get(b.spec?.policyName ?? "");
      if (!p?.spec) continue;
      if (!(await this.matches(p.spec.matchConstraints, a))) continue;
      if (b.spec?.matchResources && !(await this.matches(b.spec.matchResources, a))) continue;
      await this.check(p, b, a);
    }
  }

  private async check(p: ValidatingAdmissionPolicy, b: ValidatingAdmissionPolicyBinding, a: AdmissionAttributes): Promise<void> {
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
        if (failClosed) throw deny("failed to configure binding: no paramRef specified");
        return;
      }
      const ns = ref.namespace ?? (a.info.namespaced ? a.namespace : undefined);
      const found = await this.deps.getParams(kind, ns, ref.name, ref.selector);
      if (!found.length) {
        if ((ref.parameterNotFoundAction ?? "Deny") === "Deny") throw this.deny(a, `failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`, "Invalid");
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
    const c = this.compile(p);
    for (const params of paramsList) {
      const vars = { object: a.operation === "DELETE" ? null : a.object, oldObject: a.oldObject ?? null, request, params, namespaceObject };
      // matchConditions: all true to apply; one false skips the policy; an error follows failurePolicy.
      let applies = true;
      for (const m of c.matchConditions) {
        let ok: unknown;
        try {
          if ("error" in m.expr) throw new Error(m.expr.error);
          ok = m.expr.run({ ...vars });
        } catch (e) {
          if (failClosed) throw deny(`failed to evaluate matchCondition '${m.name}': ${evalErrorText(e)}`);
          ok = false;
        }
        if (ok !== true) { applies = false; break; }
      }
      if (!applies) continue;
      const variables = new Map<string, unknown>();
      for (const v of c.variables) {
        if ("error" in v.expr) continue;
        try { variables.set(v.name, v.expr.run({ ...vars }, { variables })); } catch { /* an unusable variable fails the expressions that read it */ }
      }
      for (const { v, expr, message } of c.validations) {
        let failure: string | undefined;
        if ("error" in expr) failure = `compilation error: ${expr.error}`;
        else {
          try {
            const ok = expr.run({ ...vars }, { variables });
            if (ok !== true) failure = this.messageOf(v, message, vars, variables);
          } catch (e) {
            failure = `expression '${v.expression}' resulted in error: ${evalErrorText(e)}`;
            if (!failClosed) continue;
          }
        }
        if (failure === undefined) continue;
        if (actions.includes("Warn")) a.addWarning(`Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${failure}`);
        if (actions.includes("Audit")) a.addAuditAnnotation?.("validation.policy.admission.k8s.io/validation_failure", JSON.stringify([{ message: failure, policy, binding, expressionIndex: c.validations.findIndex((x) => x.v === v), validationActions: actions }]));
        if (actions.includes("Deny")) throw deny(failure, v.reason ?? "Invalid");
      }
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
