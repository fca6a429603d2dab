/** `kubectl get jobs`: status from the conditions, completions, how long it ran. */
import type { Job } from "kubernetes-types/batch/v1.js";
import { age, containers, humanDuration, images, selectorText, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

function jobStatus(job: Stored<Job>): string {
  const conds = job.status?.conditions ?? [];
  const has = (t: string) => conds.some((c) => c.type === t && c.status === "True");
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (job.metadata.deletionTimestamp) return "Terminating";
  if (has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (has("FailureTarget")) return "FailureTarget";
  if (job.spec?.suspend) return "Suspended";
  return "Running";
}

function jobDuration(job: Stored<Job>, now: number): string {
  const start = job.status?.startTime;
  if (!start) return "";
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

export const jobTable = tablePrinter<Stored<Job>>(
  [["Status"], ["Completions"], ["Duration"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
  (o, now) => {
    const completions = o.spec?.completions !== undefined ? `${o.status?.succeeded ?? 0}/${o.spec.completions}` : `${o.status?.succeeded ?? 0}/1 of ${o.spec?.parallelism ?? 1}`;
    return [jobStatus(o), completions, jobDuration(o, now), age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selectorText(o.spec?.selector)];
  },
);
