/** ReplicationControllers: status is the replication manager's. */
import type { ReplicationController } from "kubernetes-types/core/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const replicationControllerStrategy: Strategy<Stored<ReplicationController>> = {
  prepareForCreate: clearStatus,
  fieldSelectors: ["status.replicas"],
};
