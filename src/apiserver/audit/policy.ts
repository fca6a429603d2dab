/**
 * Audit policy as upstream's: rules tried in order, the first that matches a
 * request decides its level and the stages left out; no match is level None.
 * Matching uses the request's authorizer attributes, with the authenticated
 * (not impersonated) user.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Attributes } from "../authorization/authorizer.js";
import type { UserInfo } from "../authentication/user-info.js";
import { LEVELS, STAGES, type Level, type Policy, type PolicyRule, type Stage } from "./types.js";

/** Attributes as audit sees them: the user is absent when authentication failed. */
export type AuditAttributes = Omit<Attributes, "user"> & { user?: UserInfo };

/** What a request is audited with (upstream's RequestAuditConfig and its level). */
export interface RequestAuditConfig {
  level: Level;
  omitStages: Stage[];
  omitManagedFields: boolean;
}

export function loadPolicy(file: string): Policy {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`failed to read audit policy file ${file}`, { cause });
  }
  const errors = validatePolicy(doc);
  if (errors.length) throw new Error(`invalid audit policy in ${file}: ${errors.join(", ")}`);
  return doc as Policy;
}

export function validatePolicy(doc: unknown): string[] {
  const p = doc as Partial<Policy> | null;
  if (!p || typeof p !== "object") return ["the file is not an audit Policy"];
  const errors: string[] = [];
  if (p.kind !== "Policy" || p.apiVersion !== "audit.k8s.io/v1") {
    errors.push(`no kind "${p.kind}" is registered for version "${p.apiVersion}": want kind Policy, apiVersion audit.k8s.io/v1`);
  }
  if (!Array.isArray(p.rules) || p.rules.length === 0) return [...errors, "loaded illegal policy with 0 rules"];
  errors.push(...validateStages(p.omitStages, "omitStages"));
  p.rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (!r || typeof r !== "object") return errors.push(`${at}: Invalid value: a rule must be an object`);
    if (r.level === undefined || (r.level as string) === "") errors.push(`${at}.level: Required value`);
    else if (!LEVELS.includes(r.level)) errors.push(`${at}.level: Unsupported value: ${JSON.stringify(r.level)}: supported values: "None", "Metadata", "Request", "RequestResponse"`);
    errors.push(...validateStages(r.omitStages, `${at}.omitStages`));
    if (r.nonResourceURLs?.length && (r.resources?.length || r.namespaces?.length)) {
      errors.push(`${at}.nonResourceURLs: Invalid value: ${JSON.stringify(r.nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`);
    }
    for (const [j, url] of (r.nonResourceURLs ?? []).entries()) {
      if (url === "*") continue;
      if (!url.startsWith("/")) errors.push(`${at}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(url)}: non-resource URL rules must begin with a '/' character`);
      else if (url.slice(0, -1).includes("*")) errors.push(`${at}.nonResourceURLs[${j}]: Invalid value: ${JSON.stringify(url)}: non-resource URL wildcards ('*') must be the final character of the rule`);
    }
    for (const [j, gr] of (r.resources ?? []).entries()) {
      if (gr.resourceNames?.length && !gr.resources?.length) {
        errors.push(`${at}.resources[${j}].resourceNames: Invalid value: ${JSON.stringify(gr.resourceNames)}: using resourceNames requires at least one resource`);
      }
      if (gr.group?.includes("*")) errors.push(`${at}.resources[${j}].group: Invalid value: ${JSON.stringify(gr.group)}: group may not contain '*'`);
    }
    return undefined;
  });
  return errors;
}

function validateStages(stages: unknown, at: string): string[] {
  if (stages === undefined) return [];
  if (!Array.isArray(stages)) return [`${at}: Invalid value: must be a list of stages`];
  return stages.filter((s) => !STAGES.includes(s)).map((s) => `${at}: Unsupported value: ${JSON.stringify(s)}: supported values: "RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"`);
}

/** Evaluates a checked policy (see validatePolicy) for one request's attributes. */
export class PolicyEvaluator {
  private readonly rules: (PolicyRule & { omitStages: Stage[] })[];

  constructor(private readonly policy: Policy) {
    // A rule leaves out its own stages and the policy's.
    this.rules = policy.rules.map((r) => ({ ...r, omitStages: [...new Set([...(policy.omitStages ?? []), ...(r.omitStages ?? [])])] }));
  }

  evaluate(attrs: AuditAttributes): RequestAuditConfig {
    for (const rule of this.rules) {
      if (ruleMatches(rule, attrs)) {
        return { level: rule.level, omitStages: rule.omitStages, omitManagedFields: rule.omitManagedFields ?? this.policy.omitManagedFields ?? false };
      }
    }
    return { level: "None", omitStages: this.policy.omitStages ?? [], omitManagedFields: this.policy.omitManagedFields ?? false };
  }
}

function ruleMatches(r: PolicyRule, attrs: AuditAttributes): boolean {
  const user = attrs.user;
  if (r.users?.length && (!user || !r.users.includes(user.username))) return false;
  if (r.userGroups?.length && (!user || !user.groups.some((g) => r.userGroups!.includes(g)))) return false;
  if (r.verbs?.length && !r.verbs.includes(attrs.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) return resourceMatches(r, attrs);
  if (r.nonResourceURLs?.length) return !attrs.resourceRequest && r.nonResourceURLs.some((spec) => pathMatches(attrs.path, spec));
  return true;
}

function pathMatches(path: string, spec: string): boolean {
  return spec === "*" || spec === path || (spec.endsWith("*") && path.startsWith(spec.replace(/\*+$/, "")));
}

function resourceMatches(r: PolicyRule, attrs: AuditAttributes): boolean {
  if (!attrs.resourceRequest) return false;
  // Cluster-scoped resources have the namespace "".
  if (r.namespaces?.length && !r.namespaces.includes(attrs.namespace)) return false;
  if (!r.resources?.length) return true;
  const { resource, subresource } = attrs;
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return r.resources.some((gr) => {
    if ((gr.group ?? "") !== attrs.apiGroup) return false;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(attrs.name)) return false;
    return gr.resources.some((res) =>
      res === combined || res === "*"
      || (subresource !== "" && res.startsWith("*/") && res.slice(2) === subresource)
      || (res.endsWith("/*") && res.slice(0, -2) === resource));
  });
}
