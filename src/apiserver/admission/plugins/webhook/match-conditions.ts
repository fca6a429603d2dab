/**
 * A webhook's matchConditions (admissionregistration/v1, GA in v1.30): CEL
 * expressions over object, oldObject and request (the AdmissionRequest the
 * webhook would be sent, in its version) that must all be true for the
 * webhook to be called. As upstream's matchconditions.Matcher: every
 * condition is evaluated; one false skips the webhook whatever the errors;
 * errors without a false fail the request (failurePolicy Fail: 403 naming
 * each failed expression) or skip the webhook (Ignore). Conditions are
 * compiled once per configuration object the cache holds.
 */
import type { MatchCondition } from "kubernetes-types/admissionregistration/v1.js";
import { ApiError, qualifiedResource } from "../../../../api/errors.js";
import { evalErrorText, ExpressionEnvironment, type AuthorizerValue, type CompiledExpression } from "../../../cel/index.js";
import type { AdmissionAttributes, AdmissionObject } from "../../admission.js";
import type { Webhook } from "./types.js";

/** The variables upstream gives a webhook's conditions; authorizer checks as the request's user. */
export const MATCH_CONDITION_VARIABLES = ["object", "oldObject", "request", "authorizer"];

let environment: ExpressionEnvironment | undefined;
/** One environment for every webhook: building one costs milliseconds, compiling in it does not. */
export function matchConditionEnvironment(): ExpressionEnvironment {
  return (environment ??= new ExpressionEnvironment(MATCH_CONDITION_VARIABLES));
}

interface CompiledCondition { name: string; expression: string; expr: CompiledExpression | { error: string } }

// Keyed by the conditions array of a cached configuration: a new generation of it is a new array.
const compiledConditions = new WeakMap<MatchCondition[], CompiledCondition[]>();

function compiled(conditions: MatchCondition[]): CompiledCondition[] {
  let c = compiledConditions.get(conditions);
  if (!c) {
    c = conditions.map((m) => ({ name: m.name, expression: m.expression, expr: matchConditionEnvironment().compile(m.expression) }));
    compiledConditions.set(conditions, c);
  }
  return c;
}

export interface MatchConditionInput {
  object: AdmissionObject | null;
  oldObject: AdmissionObject | null;
  request: unknown;
  /** The CEL authorizer library's value for the request (null when the server gave the webhooks no authorizer). */
  authorizer: AuthorizerValue | null;
}

/**
 * Whether the webhook's conditions let it be called for this request.
 * Throws the request's Forbidden when a condition could not be evaluated
 * and none was false, under failurePolicy Fail.
 */
export function matchConditionsAllow(hook: Webhook, attrs: AdmissionAttributes, input: () => MatchConditionInput, observe?: (outcome: "error" | "exclusion") => void): boolean {
  const conditions = hook.matchConditions ?? [];
  if (!conditions.length) return true;
  const { authorizer, ...vars } = input();
  const errors: string[] = [];
  for (const c of compiled(conditions)) {
    let result: unknown;
    try {
      if ("error" in c.expr) throw new Error(c.expr.error);
      result = c.expr.run(vars, { authorizer });
    } catch (e) {
      errors.push(`expression '${c.expression}' resulted in error: ${evalErrorText(e)}`);
      observe?.("error");
      continue;
    }
    if (result === false) {
      observe?.("exclusion");
      return false;
    }
    if (result !== true) {
      errors.push(`expression '${c.expression}' resulted in error: no matching overload: must evaluate to bool`);
      observe?.("error");
    }
  }
  if (!errors.length) return true;
  if (hook.failurePolicy === "Ignore") return false;
  const name = attrs.name || String(attrs.object?.metadata?.name ?? "");
  const message = errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`;
  return forbidden(attrs, name, message);
}

function forbidden(attrs: AdmissionAttributes, name: string, message: string): never {
  throw new ApiError(403, "Forbidden", `${qualifiedResource(attrs.info.resource, attrs.info.group)} "${name}" is forbidden: ${message}`, { name, group: attrs.info.group, kind: attrs.info.resource });
}
