/**
 * The RBAC registry's guard against privilege escalation, as upstream's
 * policy-based storages: a Role or ClusterRole may be written only by someone
 * who holds every permission in it (or may `escalate`), a binding only by
 * someone who holds the role's permissions (or may `bind` it).
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-types/rbac/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { Authorizer } from "../../authorization/authorizer.js";
import { confirmBindingWrite, confirmRoleWrite, type EscalationResolver } from "../../authorization/rbac/index.js";
import { APISERVER_USER, type Obj, type StorageHooks, type WriteOptions } from "../object-store.js";

export function rbacEscalationHooks(authorizer: Authorizer, resolver: EscalationResolver): Record<string, StorageHooks> {
  const role = (kind: "Role" | "ClusterRole"): StorageHooks => ({
    beforeWrite(obj: Obj, old: Obj | undefined, opts: WriteOptions) {
      confirmRoleWrite({ user: opts.user ?? APISERVER_USER, authorizer, resolver, kind, namespace: obj.metadata?.namespace ?? "", obj: obj as Role | ClusterRole, old: old as Role | ClusterRole | undefined });
    },
  });
  const binding = (kind: "RoleBinding" | "ClusterRoleBinding"): StorageHooks => ({
    beforeWrite(obj: Obj, old: Obj | undefined, opts: WriteOptions) {
      confirmBindingWrite({ user: opts.user ?? APISERVER_USER, authorizer, resolver, kind, namespace: obj.metadata?.namespace ?? "", obj: obj as Kube<RoleBinding> | Kube<ClusterRoleBinding>, old: old as Kube<RoleBinding> | Kube<ClusterRoleBinding> | undefined });
    },
  });
  return { Role: role("Role"), ClusterRole: role("ClusterRole"), RoleBinding: binding("RoleBinding"), ClusterRoleBinding: binding("ClusterRoleBinding") };
}
