/**
 * RoleBindings and ClusterRoleBindings (one strategy for both: they differ
 * by scope). Writes are guarded against escalation by ../escalation-hooks.ts.
 */
import type { ClusterRoleBinding, RoleBinding } from "kubernetes-types/rbac/v1.js";
import { pathSegmentName } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

/** The role, and the subjects by kind (service accounts as namespace/name). */
const roleBindingTable = tablePrinter<Stored<RoleBinding | ClusterRoleBinding>>(
  [["Role"], ["Age"], ["Users", "string", 1], ["Groups", "string", 1], ["ServiceAccounts", "string", 1]],
  (o, now) => {
    const subjects = o.subjects ?? [];
    const of = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => (kind === "ServiceAccount" ? `${s.namespace}/${s.name}` : s.name)).join(", ");
    return [`${o.roleRef?.kind}/${o.roleRef?.name}`, age(o.metadata.creationTimestamp, now), of("User"), of("Group"), of("ServiceAccount")];
  },
);

export const roleBindingStrategy: Strategy<Stored<RoleBinding | ClusterRoleBinding>> = {
  // RBAC names are path segments upstream (ValidateRBACName), so `system:node` is valid.
  nameValidation: pathSegmentName,
  printer: roleBindingTable,
};
