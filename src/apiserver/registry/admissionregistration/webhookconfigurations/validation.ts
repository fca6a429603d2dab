/**
 * Upstream's ValidateValidatingWebhookConfiguration and
 * ValidateMutatingWebhookConfiguration (pkg/apis/admissionregistration/validation)
 * with its field paths and messages; matchConditions must compile to bool
 * in the environment the webhook plugins evaluate them in.
 */
import type { MatchCondition, MutatingWebhook, RuleWithOperations, ValidatingWebhook, WebhookClientConfig } from "kubernetes-types/admissionregistration/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { dns1035Label, dns1123Subdomain, invalidValue, qualifiedName, required, validateLabels } from "../../../../api/validation.js";
import { matchConditionEnvironment } from "../../../admission/plugins/webhook/match-conditions.js";

/** Upstream's RuleWithOperations embeds Rule inline; kubernetes-types leaves its resources and scope out. */
export type Rule = RuleWithOperations & { resources?: string[]; scope?: string };

type Webhook = (ValidatingWebhook | MutatingWebhook) & { rules?: Rule[] };

const notSupported = (field: string, value: unknown, values: string[]): FieldError =>
  ({ type: "FieldValueNotSupported", field, value, detail: `supported values: ${values.map((v) => JSON.stringify(v)).join(", ")}` });

const FAILURE_POLICIES = ["Fail", "Ignore"];
const MATCH_POLICIES = ["Equivalent", "Exact"];
const NO_SIDE_EFFECTS = ["None", "NoneOnDryRun"];
const OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const SCOPES = ["*", "Cluster", "Namespaced"];
const REINVOCATION_POLICIES = ["IfNeeded", "Never"];
const REVIEW_VERSIONS = ["v1", "v1beta1"];

/**
 * Every write is held to the create rules: upstream relaxes an update of an
 * object stored by an older server (sideEffects Unknown, duplicate names),
 * which this server, serving v1 only, never stored.
 */
export function validateWebhooks(webhooks: Webhook[] | undefined, mutating: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [i, hook] of (webhooks ?? []).entries()) {
    const at = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, at, mutating));
    errs.push(...validateReviewVersions(hook.admissionReviewVersions, `${at}.admissionReviewVersions`));
    if (hook.name) {
      if (names.has(hook.name)) errs.push({ type: "FieldValueDuplicate", field: `${at}.name`, value: hook.name });
      names.add(hook.name);
    }
  }
  return errs;
}

function validateWebhook(hook: Webhook, at: string, mutating: boolean): FieldError[] {
  const errs = fullyQualifiedName(`${at}.name`, hook.name ?? "");
  for (const [i, rule] of ((hook as Webhook).rules ?? []).entries()) errs.push(...validateRule(rule, `${at}.rules[${i}]`));
  if (hook.failurePolicy !== undefined && !FAILURE_POLICIES.includes(hook.failurePolicy)) errs.push(notSupported(`${at}.failurePolicy`, hook.failurePolicy, FAILURE_POLICIES));
  if (hook.matchPolicy !== undefined && !MATCH_POLICIES.includes(hook.matchPolicy)) errs.push(notSupported(`${at}.matchPolicy`, hook.matchPolicy, MATCH_POLICIES));
  const sideEffects = NO_SIDE_EFFECTS;
  if (hook.sideEffects === undefined || hook.sideEffects === null) errs.push(required(`${at}.sideEffects`, `must specify one of ${sideEffects.join(", ")}`));
  else if (!sideEffects.includes(hook.sideEffects)) errs.push(notSupported(`${at}.sideEffects`, hook.sideEffects, sideEffects));
  if (hook.timeoutSeconds !== undefined && (hook.timeoutSeconds > 30 || hook.timeoutSeconds < 1)) {
    errs.push(invalidValue(`${at}.timeoutSeconds`, hook.timeoutSeconds, "the timeout value must be between 1 and 30 seconds"));
  }
  if (hook.namespaceSelector) errs.push(...validateLabelSelector(hook.namespaceSelector, `${at}.namespaceSelector`));
  if (hook.objectSelector) errs.push(...validateLabelSelector(hook.objectSelector, `${at}.objectSelector`));
  if (mutating) {
    const policy = (hook as MutatingWebhook).reinvocationPolicy;
    if (policy !== undefined && !REINVOCATION_POLICIES.includes(policy)) errs.push(notSupported(`${at}.reinvocationPolicy`, policy, REINVOCATION_POLICIES));
  }
  errs.push(...validateClientConfig(hook.clientConfig ?? {}, `${at}.clientConfig`));
  errs.push(...validateMatchConditions(hook.matchConditions ?? [], `${at}.matchConditions`));
  return errs;
}

const MAX_MATCH_CONDITIONS = 64;

/** Upstream's validateMatchConditions: at most 64, named by unique qualified names, each expression compiling to bool. */
function validateMatchConditions(conditions: MatchCondition[], at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (conditions.length > MAX_MATCH_CONDITIONS) errs.push({ type: "FieldValueTooMany", field: at, value: conditions.length, detail: `must have at most ${MAX_MATCH_CONDITIONS} items` });
  const names = new Set<string>();
  for (const [i, c] of conditions.entries()) {
    const expression = (c.expression ?? "").trim();
    if (!expression) errs.push(required(`${at}[${i}].expression`, ""));
    else {
      const compiled = matchConditionEnvironment().compile(expression);
      if ("error" in compiled) errs.push(invalidValue(`${at}[${i}].expression`, expression, `compilation failed: ${compiled.error}`));
      else if (compiled.type !== "bool" && compiled.type !== "dyn") errs.push(invalidValue(`${at}[${i}].expression`, expression, "must evaluate to bool"));
    }
    if (!c.name) errs.push(required(`${at}[${i}].name`, ""));
    else {
      errs.push(...qualifiedName(`${at}[${i}].name`, c.name));
      if (names.has(c.name)) errs.push({ type: "FieldValueDuplicate", field: `${at}[${i}].name`, value: c.name });
      names.add(c.name);
    }
  }
  return errs;
}

/** Upstream's IsFullyQualifiedName: a DNS subdomain of at least three segments. */
function fullyQualifiedName(field: string, name: string): FieldError[] {
  if (!name) return [required(field, "")];
  const errs = dns1123Subdomain(field, name);
  if (errs.length) return errs;
  return name.split(".").length < 3 ? [invalidValue(field, name, "should be a domain with at least three segments separated by dots")] : [];
}

function validateRule(rule: Rule, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = rule.operations ?? [];
  if (!ops.length) errs.push(required(`${at}.operations`, ""));
  if (ops.length > 1 && ops.includes("*")) errs.push(invalidValue(`${at}.operations`, ops, "if '*' is present, must not specify other operations"));
  for (const [i, op] of ops.entries()) if (!OPERATIONS.includes(op)) errs.push(notSupported(`${at}.operations[${i}]`, op, OPERATIONS));
  const groups = rule.apiGroups ?? [];
  if (!groups.length) errs.push(required(`${at}.apiGroups`, ""));
  if (groups.length > 1 && groups.includes("*")) errs.push(invalidValue(`${at}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions = rule.apiVersions ?? [];
  if (!versions.length) errs.push(required(`${at}.apiVersions`, ""));
  if (versions.length > 1 && versions.includes("*")) errs.push(invalidValue(`${at}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  for (const [i, v] of versions.entries()) if (v === "") errs.push(required(`${at}.apiVersions[${i}]`, ""));
  errs.push(...validateResources(rule.resources ?? [], `${at}.resources`));
  if (rule.scope !== undefined && !SCOPES.includes(rule.scope)) errs.push(notSupported(`${at}.scope`, rule.scope, SCOPES));
  return errs;
}

/** Resources with subresources: `x`, `x/y`, `x/*`, `* /y` and `*` and `* /*`, without overlaps. */
function validateResources(resources: string[], at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!resources.length) errs.push(required(at, ""));
  const wildcardSub = new Set<string>();
  const wildcardRes = new Set<string>();
  let single = false;
  let plain = false;
  for (const [i, r] of resources.entries()) {
    if (r === "") { errs.push(required(`${at}[${i}]`, "")); continue; }
    if (r === "*") single = true;
    const slash = r.indexOf("/");
    if (slash < 0) { plain = r !== "*"; continue; }
    const res = r.slice(0, slash);
    const sub = r.slice(slash + 1);
    if (wildcardSub.has(res)) errs.push(invalidValue(`${at}[${i}]`, r, `if '${res}/*' is present, must not specify ${r}`));
    if (wildcardRes.has(sub)) errs.push(invalidValue(`${at}[${i}]`, r, `if '*/${sub}' is present, must not specify ${r}`));
    if (sub === "*") wildcardSub.add(res);
    if (res === "*") wildcardRes.add(sub);
  }
  if (resources.length > 1 && resources.includes("*/*")) errs.push(invalidValue(at, resources, "if '*/*' is present, must not specify other resources"));
  if (single && plain) errs.push(invalidValue(at, resources, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

/** A webhook's clientConfig, admission's or a CRD's conversion webhook's: exactly one of an https URL or a Service. */
export function validateClientConfig(cc: WebhookClientConfig, at: string): FieldError[] {
  if ((cc.url === undefined) === (cc.service === undefined)) return [required(at, "exactly one of url or service is required")];
  if (cc.url !== undefined) return validateWebhookURL(`${at}.url`, cc.url);
  return cc.service ? validateWebhookService(`${at}.service`, cc.service) : [];
}

/** admissionReviewVersions, and a CRD's conversionReviewVersions: v1 or v1beta1 among DNS labels, none twice. */
export function validateReviewVersions(versions: string[] | undefined, at: string): FieldError[] {
  if (!versions?.length) return [required(at, `must specify one of ${REVIEW_VERSIONS.join(", ")}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, v] of versions.entries()) {
    if (seen.has(v)) { errs.push(invalidValue(`${at}[${i}]`, v, "duplicate version")); continue; }
    seen.add(v);
    errs.push(...dns1035Label(`${at}[${i}]`, v));
  }
  if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    errs.push(invalidValue(at, versions, `must include at least one of ${REVIEW_VERSIONS.join(", ")}`));
  }
  return errs;
}

const URL_FORM = "; desired format: https://host[/path]";

/** Upstream's ValidateWebhookURL with https forced. */
function validateWebhookURL(at: string, text: string): FieldError[] {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // Go parses a text without a scheme as a bare path: no scheme and no host, rather than no URL at all.
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) {
      return [invalidValue(at, "", `'https' is the only allowed URL scheme${URL_FORM}`), invalidValue(at, "", `host must be specified${URL_FORM}`)];
    }
    return [required(at, `url must be a valid URL: parse ${JSON.stringify(text)}: invalid URI for request${URL_FORM}`)];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, "");
  if (scheme !== "https") errs.push(invalidValue(at, scheme, `'https' is the only allowed URL scheme${URL_FORM}`));
  if (!u.host) errs.push(invalidValue(at, u.host, `host must be specified${URL_FORM}`));
  if (u.username || u.password) errs.push(invalidValue(at, u.password ? `${u.username}:${u.password}` : u.username, "user information is not permitted in the URL"));
  if (u.hash.length > 1) errs.push(invalidValue(at, u.hash.slice(1), "fragments are not permitted in the URL"));
  if (u.search.length > 1) errs.push(invalidValue(at, u.search.slice(1), "query parameters are not permitted in the URL"));
  return errs;
}

/** Upstream's ValidateWebhookService: a name, a namespace, a port and a path of DNS-subdomain segments. */
function validateWebhookService(at: string, svc: { name?: string; namespace?: string; path?: string; port?: number }): FieldError[] {
  const errs: FieldError[] = [];
  if (!svc.name) errs.push(required(`${at}.name`, "service name is required"));
  if (!svc.namespace) errs.push(required(`${at}.namespace`, "service namespace is required"));
  const port = svc.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) errs.push(invalidValue(`${at}.port`, port, "port is not valid: must be between 1 and 65535, inclusive"));
  const path = svc.path;
  if (path === undefined || path === "" || path === "/") return errs;
  if (path === "//") return [...errs, invalidValue(`${at}.path`, path, "segment[0] may not be empty")];
  if (!path.startsWith("/")) errs.push(invalidValue(`${at}.path`, path, "must start with a '/'"));
  let rest = path.slice(1);
  if (rest.endsWith("/")) rest = rest.slice(0, -1);
  for (const [i, step] of rest.split("/").entries()) {
    if (!step) { errs.push(invalidValue(`${at}.path`, path, `segment[${i}] may not be empty`)); continue; }
    for (const e of dns1123Subdomain(`${at}.path`, step)) errs.push(invalidValue(`${at}.path`, path, `segment[${i}]: ${e.detail}`));
  }
  return errs;
}

const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

/** Upstream's metav1 ValidateLabelSelector. */
export function validateLabelSelector(sel: LabelSelector, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const ep = `${at}.matchExpressions[${i}]`;
    if (e.operator === "In" || e.operator === "NotIn") {
      if (!(e.values ?? []).length) errs.push(required(`${ep}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === "Exists" || e.operator === "DoesNotExist") {
      if ((e.values ?? []).length) errs.push({ type: "FieldValueForbidden", field: `${ep}.values`, detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'" });
    } else if (!SELECTOR_OPERATORS.includes(e.operator)) {
      errs.push(invalidValue(`${ep}.operator`, e.operator, "not a valid selector operator"));
    }
    errs.push(...validateLabels(`${ep}.key`, { [e.key ?? ""]: "" }));
  }
  errs.push(...validateLabels(`${at}.matchLabels`, sel.matchLabels));
  return errs;
}
