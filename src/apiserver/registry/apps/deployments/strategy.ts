/** Deployments: status is the deployment controller's. */
import type { Deployment } from "kubernetes-types/apps/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const deploymentStrategy: Strategy<Stored<Deployment>> = {
  prepareForCreate: clearStatus,
};
