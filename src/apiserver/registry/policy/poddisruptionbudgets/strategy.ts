/** PodDisruptionBudgets: status is the disruption controller's (and the eviction subresource's). */
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

const podDisruptionBudgetTable = tablePrinter<Stored<PodDisruptionBudget>>(
  [["Min Available"], ["Max Unavailable"], ["Allowed Disruptions", "integer"], ["Age"]],
  (o, now) => [o.spec?.minAvailable !== undefined ? String(o.spec.minAvailable) : "N/A", o.spec?.maxUnavailable !== undefined ? String(o.spec.maxUnavailable) : "N/A", o.status?.disruptionsAllowed ?? 0, age(o.metadata.creationTimestamp, now)],
);

export const podDisruptionBudgetStrategy: Strategy<Stored<PodDisruptionBudget>> = {
  prepareForCreate: clearStatus,
  printer: podDisruptionBudgetTable,
};
