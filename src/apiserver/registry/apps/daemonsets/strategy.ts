/** DaemonSets: status is the daemonset controller's. */
import type { DaemonSet } from "kubernetes-types/apps/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const daemonSetStrategy: Strategy<Stored<DaemonSet>> = {
  prepareForCreate: clearStatus,
};
