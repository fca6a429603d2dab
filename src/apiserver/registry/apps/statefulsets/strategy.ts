/** StatefulSets: status is the statefulset controller's. */
import type { StatefulSet } from "kubernetes-types/apps/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const statefulSetStrategy: Strategy<Stored<StatefulSet>> = {
  prepareForCreate: clearStatus,
};
