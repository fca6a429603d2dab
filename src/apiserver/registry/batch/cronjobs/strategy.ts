/** CronJobs: status is the cronjob controller's. */
import type { CronJob } from "kubernetes-types/batch/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const cronJobStrategy: Strategy<Stored<CronJob>> = {
  prepareForCreate: clearStatus,
};
