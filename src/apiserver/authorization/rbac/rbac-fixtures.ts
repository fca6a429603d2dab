/** Fixture builders for the RBAC tests. */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "kubernetes-types/rbac/v1.js";
import type { Attributes } from "../authorizer.js";
import type { UserInfo } from "../../authentication/user-info.js";

export const newClusterRole = (name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole => ({ metadata: { name, labels }, rules });
export const newRole = (namespace: string, name: string, rules: PolicyRule[]): Role => ({ metadata: { namespace, name }, rules });
export const newClusterRoleBinding = (name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding =>
  ({ metadata: { name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName }, subjects });
export const newRoleBinding = (namespace: string, name: string, kind: "Role" | "ClusterRole", roleName: string, subjects: Subject[]): RoleBinding =>
  ({ metadata: { namespace, name }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: roleName }, subjects });
export const user = (name: string, ...groups: string[]): UserInfo => ({ username: name, groups });

export function resourceAttrs(u: UserInfo, verb: string, resource: string, o: Partial<Attributes> = {}): Attributes {
  return { user: u, verb, resourceRequest: true, path: "", apiGroup: "", apiVersion: "v1", resource, subresource: "", namespace: "", name: "", ...o };
}
export function pathAttrs(u: UserInfo, verb: string, path: string): Attributes {
  return { user: u, verb, resourceRequest: false, path, apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
}
