/**
 * Whether a webhook is called for a request (upstream's generic.Webhook
 * ShouldCallHook and rules.Matcher): one of its rules matches the request's
 * operation, group, version, resource/subresource and scope, directly or,
 * with matchPolicy Equivalent, through another served version of the same
 * resource; its namespaceSelector and objectSelector select the request;
 * and its matchConditions hold for it.
 */
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import { ApiError, internalError } from "../../../../api/errors.js";
import type { ResourceInfo } from "../../../../api/resources.js";
import { labelSelectorRequirements, matchesLabels } from "../../../../api/selectors.js";
import type { AdmissionAttributes, AdmissionObject } from "../../admission.js";
import { authorizerFor } from "../../../cel/index.js";
import { versioned } from "./invoke.js";
import { matchConditionsAllow } from "./match-conditions.js";
import type { WebhookType } from "./metrics.js";
import { admissionRequest } from "./review.js";
import type { GroupVersionKind, Rule, WebhookDependencies, WebhookEntry, WebhookInvocation } from "./types.js";

/** The parts of a request a rule looks at. */
export interface RuleTarget {
  operation: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespaced: boolean;
}

const listMatches = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === "*" || x === value);

/** `pods` the resource alone; `pods/status` one subresource; `pods/*` every subresource; `*` every resource, no subresource; `* /*` everything. */
function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  for (const p of patterns ?? []) {
    const slash = p.indexOf("/");
    const res = slash < 0 ? p : p.slice(0, slash);
    const sub = slash < 0 ? "" : p.slice(slash + 1);
    if ((res === "*" || res === resource) && (sub === "*" || sub === subresource)) return true;
  }
  return false;
}

/** Namespaces are cluster-scoped; a subresource has its parent's scope. */
function scopeMatches(scope: string | undefined, namespaced: boolean): boolean {
  if (scope === undefined || scope === "*") return true;
  return scope === "Namespaced" ? namespaced : !namespaced;
}

export function ruleMatches(rule: Rule, t: RuleTarget): boolean {
  return listMatches(rule.operations, t.operation) && listMatches(rule.apiGroups, t.group) && listMatches(rule.apiVersions, t.version)
    && resourceMatches(rule.resources, t.resource, t.subresource) && scopeMatches(rule.scope, t.namespaced);
}

const target = (info: ResourceInfo, attrs: Pick<AdmissionAttributes, "operation" | "subresource">): RuleTarget =>
  ({ operation: attrs.operation, group: info.group, version: info.version, resource: info.resource, subresource: attrs.subresource, namespaced: info.namespaced });

/** The kind of what a request writes: a subresource of its own kind (Scale, Eviction) when the object is one, else the resource's. */
export function kindOf(info: ResourceInfo, subresource: string, object: AdmissionObject | undefined): GroupVersionKind {
  const sub = info.subresources.find((s) => s.name === subresource);
  if (sub?.kind && object?.kind === sub.kind.kind) return { ...sub.kind };
  return { group: info.group, version: info.version, kind: info.kind };
}

/**
 * The resource a webhook's rules select the request through: the
 * request's own when a rule names it, else (Equivalent) the first rule's
 * first equivalent version, as upstream honours earlier rules first.
 */
export function matchResource(entry: WebhookEntry, attrs: Pick<AdmissionAttributes, "info" | "operation" | "subresource">, equivalents: () => ResourceInfo[]): ResourceInfo | undefined {
  const rules = entry.hook.rules ?? [];
  if (rules.some((r) => ruleMatches(r, target(attrs.info, attrs)))) return attrs.info;
  if ((entry.hook.matchPolicy ?? "Equivalent") !== "Equivalent") return undefined;
  const others = equivalents().filter((e) => e !== attrs.info && (e.group !== attrs.info.group || e.version !== attrs.info.version)
    && (attrs.subresource === "" || e.subresources.some((s) => s.name === attrs.subresource)));
  for (const rule of rules) {
    for (const e of others) if (ruleMatches(rule, target(e, attrs))) return e;
  }
  return undefined;
}

function selects(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(labelSelectorRequirements(sel), labels);
}

const emptySelector = (sel: LabelSelector | undefined) => !sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length);

/**
 * Upstream's MatchObjectSelector: the new object's labels or the old
 * object's select the request. On DELETE only the stored object counts.
 */
export function objectSelectorMatches(sel: LabelSelector | undefined, attrs: Pick<AdmissionAttributes, "operation" | "object" | "oldObject">): boolean {
  if (emptySelector(sel)) return true;
  const objects = attrs.operation === "DELETE" ? [attrs.oldObject] : [attrs.object, attrs.oldObject];
  return objects.some((o) => o !== undefined && o !== null && selects(sel, o.metadata?.labels));
}

/**
 * Upstream's MatchNamespaceSelector: a cluster-scoped object other than a
 * namespace is always selected; a namespace being created or updated is
 * judged by its own new labels; anything else by its namespace's labels.
 */
export async function namespaceSelectorMatches(sel: LabelSelector | undefined, attrs: Pick<AdmissionAttributes, "info" | "operation" | "object" | "namespace" | "name" | "subresource">, deps: Pick<WebhookDependencies, "getNamespace">): Promise<boolean> {
  const isNamespace = attrs.info.group === "" && attrs.info.resource === "namespaces";
  if (!attrs.info.namespaced && !isNamespace) return true;
  if (emptySelector(sel)) return true;
  if (isNamespace && attrs.subresource === "" && (attrs.operation === "CREATE" || attrs.operation === "UPDATE")) {
    return selects(sel, attrs.object?.metadata?.labels);
  }
  const name = isNamespace ? attrs.name : attrs.namespace;
  let ns;
  try {
    ns = await deps.getNamespace(name);
  } catch (err) {
    throw err instanceof ApiError ? err : internalError(err);
  }
  // As upstream: a namespace that is not there is the request's NotFound.
  if (!ns) throw new ApiError(404, "NotFound", `namespaces "${name}" not found`, { name, kind: "namespaces" });
  return selects(sel, ns.metadata?.labels);
}

/** The invocation of a webhook for a request, or undefined when the webhook does not apply to it. */
export async function shouldCallHook(entry: WebhookEntry, attrs: AdmissionAttributes, deps: Pick<WebhookDependencies, "getNamespace" | "equivalentResources" | "convert" | "metrics" | "authorizer">, type: WebhookType): Promise<WebhookInvocation | undefined> {
  const resource = matchResource(entry, attrs, () => deps.equivalentResources(attrs.info));
  if (!resource) return undefined;
  if (!objectSelectorMatches(entry.hook.objectSelector, attrs)) return undefined;
  if (!(await namespaceSelectorMatches(entry.hook.namespaceSelector, attrs, deps))) return undefined;
  const inv: WebhookInvocation = { entry, resource, kind: kindOf(resource, attrs.subresource, attrs.object) };
  // The conditions see what the webhook would be sent: the objects in its version, and its AdmissionRequest.
  const allowed = matchConditionsAllow(entry.hook, attrs, () => {
    const object = attrs.operation === "DELETE" ? undefined : versioned(attrs.object, inv, attrs, deps);
    const oldObject = versioned(attrs.oldObject, inv, attrs, deps);
    const request = admissionRequest(inv, attrs, object, oldObject);
    // As upstream: authorizer.requestResource is the resource the webhook is sent, in its version's group.
    const authorizer = deps.authorizer ? authorizerFor(deps.authorizer, attrs.user, { group: resource.group, resource: resource.resource, subresource: attrs.subresource, namespace: attrs.namespace, name: attrs.name || String(attrs.object?.metadata?.name ?? "") }) : null;
    return { object: object ?? null, oldObject: oldObject ?? null, request, authorizer };
  }, (outcome) => deps.metrics?.observeMatchCondition(outcome, entry.hook.name, type, attrs.operation));
  return allowed ? inv : undefined;
}
