/**
 * Roles and ClusterRoles (one strategy for both: they differ by scope).
 * Writes are guarded against escalation by ../escalation-hooks.ts.
 */
import type { ClusterRole, Role } from "kubernetes-types/rbac/v1.js";
import { pathSegmentName } from "../../../../api/validation.js";
import { tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const roleTable = tablePrinter<Stored<Role | ClusterRole>>([["Created At", "string"]], (o) => [o.metadata.creationTimestamp as string]);

export const roleStrategy: Strategy<Stored<Role | ClusterRole>> = {
  // RBAC names are path segments upstream (ValidateRBACName), so `system:node` is valid.
  nameValidation: pathSegmentName,
  printer: roleTable,
};
