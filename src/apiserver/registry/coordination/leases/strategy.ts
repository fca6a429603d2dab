/** Leases: leader election and node heartbeats write them with a PUT, created or not. */
import type { Lease } from "kubernetes-types/coordination/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const leaseStrategy: Strategy<Stored<Lease>> = {
  allowCreateOnUpdate: true,
};
