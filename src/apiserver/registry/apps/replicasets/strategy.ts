/** ReplicaSets: status is the replicaset controller's. */
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const replicaSetStrategy: Strategy<Stored<ReplicaSet>> = {
  prepareForCreate: clearStatus,
  fieldSelectors: ["status.replicas"],
};
