/**
 * RoleBindings and ClusterRoleBindings (one strategy for both: they differ
 * by scope). Writes are guarded against escalation by ../escalation-hooks.ts.
 */
import type { ClusterRoleBinding, RoleBinding } from "kubernetes-types/rbac/v1.js";
import { pathSegmentName } from "../../../../api/validation.js";
import type { Stored, Strategy } from "../../strategy.js";

export const roleBindingStrategy: Strategy<Stored<RoleBinding | ClusterRoleBinding>> = {
  // RBAC names are path segments upstream (ValidateRBACName), so `system:node` is valid.
  nameValidation: pathSegmentName,
};
