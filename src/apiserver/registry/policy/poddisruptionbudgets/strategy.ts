/** PodDisruptionBudgets: status is the disruption controller's (and the eviction subresource's). */
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const podDisruptionBudgetStrategy: Strategy<Stored<PodDisruptionBudget>> = {
  prepareForCreate: clearStatus,
};
