/**
 * Escalation prevention for RBAC writes, as upstream's policy-based storages
 * (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased)
 * and rbac/validation.ConfirmNoEscalation: nobody grants, through a role or a
 * binding, a permission they do not hold themselves, unless explicitly allowed
 * to `escalate` roles or to `bind` the role.
 *
 * The registry calls confirmRoleWrite / confirmBindingWrite on create and update
 * (with the stored object as old on update); they throw an ApiError 403.
 */
import type { ClusterRole, PolicyRule, Role, RoleRef } from "kubernetes-types/rbac/v1.js";
import type { ApiError } from "../../../api/errors.js";
import { jsonEqual } from "../../../api/json-equal.js";
import { MASTERS_GROUP, type UserInfo } from "../../authentication/user-info.js";
import type { Attributes, Authorizer } from "../authorizer.js";
import { forbiddenError } from "../forbidden.js";
import { compactRules, compactString, covers, goQuoteList } from "./rule-matching.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** What escalation checks read: the RBAC authorizer answers both. */
export interface EscalationResolver {
  policyRulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] };
  getRoleReferenceRules(roleRef: RoleRef, namespace: string): { rules: readonly PolicyRule[]; error?: string };
}

/** Upstream's fullAuthority: what setting an aggregationRule requires, since it can gather anything. */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

/** system:masters may do anything (the API server's own loopback identity is one), so it is never checked. */
export function escalationAllowed(user: UserInfo): boolean {
  return user.groups.includes(MASTERS_GROUP);
}

/**
 * Upstream's ConfirmNoEscalation: undefined when the user's rules in namespace
 * ("" for cluster-wide) cover every rule; otherwise its error text, listing
 * the missing permissions compacted and sorted.
 */
export function confirmNoEscalation(user: UserInfo, namespace: string, rules: readonly PolicyRule[], resolver: EscalationResolver): string | undefined {
  const owned = resolver.policyRulesFor(user, namespace);
  const { covered, missing } = covers(owned.rules, rules);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join("\n")}`;
  if (owned.errors.length) msg += `; resolution errors: [${aggregateText(owned.errors)}]`;
  return msg;
}

function aggregateText(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}

/** Whether the user is allowed the `escalate` verb on the role being written (upstream's RoleEscalationAuthorized). */
export function roleEscalationAuthorized(user: UserInfo, authorizer: Authorizer, resource: "roles" | "clusterroles", namespace: string, name: string): boolean {
  return authorizer.authorize(attributes(user, "escalate", resource, namespace, name)).decision === "Allow";
}

/**
 * Whether the user is allowed `bind` on the role a binding refers to, asked in
 * the binding's namespace ("" for a ClusterRoleBinding), as upstream's BindingAuthorized.
 */
export function bindingAuthorized(user: UserInfo, authorizer: Authorizer, roleRef: RoleRef, bindingNamespace: string): boolean {
  let resource: string;
  if (roleRef.kind === "ClusterRole") resource = "clusterroles";
  else if (roleRef.kind === "Role") resource = "roles";
  else return false;
  const attrs = attributes(user, "bind", resource, bindingNamespace, roleRef.name);
  attrs.apiGroup = roleRef.apiGroup ?? RBAC_GROUP;
  return authorizer.authorize(attrs).decision === "Allow";
}

function attributes(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Attributes {
  return { user, verb, resourceRequest: true, path: "", apiGroup: RBAC_GROUP, apiVersion: "*", resource, subresource: "", namespace, name };
}

/**
 * Upstream's IsOnlyMutatingGCFields: an update that changes nothing but
 * ownerReferences and finalizers is let through, so the garbage collector can
 * always finish deleting RBAC objects.
 */
export function isOnlyMutatingGCFields(obj: { metadata?: object }, old: { metadata?: object } | undefined): boolean {
  if (!old) return false;
  const strip = (o: { metadata?: object }, from: { metadata?: object }) => {
    const m = { ...(o.metadata ?? {}) } as Record<string, unknown>;
    const f = (from.metadata ?? {}) as Record<string, unknown>;
    m.ownerReferences = f.ownerReferences;
    m.finalizers = f.finalizers;
    // Server-maintained members, which a client's update does not choose.
    for (const k of ["resourceVersion", "managedFields", "generation", "creationTimestamp", "uid"]) delete m[k];
    return { ...o, metadata: m };
  };
  return jsonEqual(strip(old, obj), strip(obj, obj));
}

function hasAggregationRule(role: ClusterRole | undefined): boolean {
  return (role?.aggregationRule?.clusterRoleSelectors ?? []).length > 0;
}

export interface RoleWrite {
  user: UserInfo;
  /** The chain of authorizers (for `escalate`) and the RBAC rules (for what the user holds). */
  authorizer: Authorizer;
  resolver: EscalationResolver;
  /** The object to store, and on update the stored one. */
  obj: Role | ClusterRole;
  old?: Role | ClusterRole;
  kind: "Role" | "ClusterRole";
  /** The request's namespace ("" for a ClusterRole). */
  namespace: string;
}

/** Throws a 403 when creating or updating a Role or ClusterRole would escalate the writer's privileges. */
export function confirmRoleWrite(w: RoleWrite): void {
  const resource = w.kind === "Role" ? "roles" : "clusterroles";
  const name = w.obj.metadata?.name ?? "";
  if (escalationAllowed(w.user) || roleEscalationAuthorized(w.user, w.authorizer, resource, w.namespace, name)) return;
  if (isOnlyMutatingGCFields(w.obj, w.old)) return;
  const why = confirmNoEscalation(w.user, w.namespace, w.obj.rules ?? [], w.resolver);
  if (why) throw forbiddenError(resource, RBAC_GROUP, name, why);
  // An aggregationRule can gather anything (and keeps a role from being tightened), so setting one, or
  // writing a role that has or had one, takes every permission, as upstream.
  if (w.kind === "ClusterRole" && (hasAggregationRule(w.obj as ClusterRole) || hasAggregationRule(w.old as ClusterRole | undefined))) {
    if (confirmNoEscalation(w.user, w.namespace, FULL_AUTHORITY, w.resolver)) {
      throw forbiddenError(resource, RBAC_GROUP, name, "must have cluster-admin privileges to use the aggregationRule");
    }
  }
}

export interface BindingWrite {
  user: UserInfo;
  authorizer: Authorizer;
  resolver: EscalationResolver;
  obj: { metadata?: { name?: string }; roleRef: RoleRef };
  old?: { metadata?: object; roleRef: RoleRef };
  kind: "RoleBinding" | "ClusterRoleBinding";
  /** The request's namespace ("" for a ClusterRoleBinding). */
  namespace: string;
}

/** Throws a 403 when the writer of a binding may neither `bind` its role nor holds every permission in it. */
export function confirmBindingWrite(w: BindingWrite): void {
  const resource = w.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
  const name = w.obj.metadata?.name ?? "";
  if (escalationAllowed(w.user)) return;
  if (isOnlyMutatingGCFields(w.obj, w.old)) return;
  if (bindingAuthorized(w.user, w.authorizer, w.obj.roleRef, w.namespace)) return;
  const { rules, error } = w.resolver.getRoleReferenceRules(w.obj.roleRef, w.namespace);
  // The registry reads roles from storage, whose NotFound names the plural resource.
  if (error) throw forbiddenError(resource, RBAC_GROUP, name, error.replace(/^(cluster)?role\.rbac/, (m) => m.replace("role.", "roles.")));
  const why = confirmNoEscalation(w.user, w.namespace, rules, w.resolver);
  if (why) throw forbiddenError(resource, RBAC_GROUP, name, why);
}

/** For callers that want the error rather than a throw. */
export function escalationError(fn: () => void): ApiError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if ((err as ApiError).code === 403) return err as ApiError;
    throw err;
  }
}

/** The binding check under the name the registry's wiring uses. */
export const confirmCanBind = confirmBindingWrite;
