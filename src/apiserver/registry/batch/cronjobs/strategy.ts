/** CronJobs: a schedule, a concurrency policy and a job template; status is the cronjob controller's. */
import type { CronJob, CronJobSpec } from "kubernetes-types/batch/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { age, containers, images, none, selectorText, tablePrinter } from "../../../../api/tables.js";
import { invalidValue, required, validatePodSpec } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { defaultJobSpec } from "../jobs/strategy.js";

const SCHEDULE = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+\S+|(\S+\s+){4}\S+)$/;

function validateCronJob(o: Stored<CronJob>): FieldError[] {
  const s = o.spec ?? ({} as CronJobSpec);
  const errs: FieldError[] = [];
  if (!s.schedule) errs.push(required("spec.schedule"));
  else if (!SCHEDULE.test(String(s.schedule).trim().replace(/^(CRON_)?TZ=\S+\s+/, ""))) {
    errs.push(invalidValue("spec.schedule", s.schedule, "unparseable cron schedule"));
  }
  if (!["Allow", "Forbid", "Replace"].includes(s.concurrencyPolicy ?? "")) {
    errs.push({ type: "FieldValueNotSupported", field: "spec.concurrencyPolicy", value: s.concurrencyPolicy, detail: 'supported values: "Allow", "Forbid", "Replace"' });
  }
  errs.push(...validatePodSpec("spec.jobTemplate.spec.template.spec", s.jobTemplate?.spec?.template?.spec));
  return errs;
}

const cronJobTable = tablePrinter<Stored<CronJob>>(
  [["Schedule"], ["Timezone"], ["Suspend"], ["Active", "integer"], ["Last Schedule"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
  (o, now) => [o.spec?.schedule ?? "", none(o.spec?.timeZone), o.spec?.suspend ? "True" : "False", (o.status?.active ?? []).length, o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : "<none>", age(o.metadata.creationTimestamp, now), containers(o.spec?.jobTemplate?.spec?.template?.spec), images(o.spec?.jobTemplate?.spec?.template?.spec), selectorText(o.spec?.jobTemplate?.spec?.selector)],
);

export const cronJobStrategy: Strategy<Stored<CronJob>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as CronJobSpec);
    spec.concurrencyPolicy ??= "Allow";
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    if (spec.jobTemplate?.spec) defaultJobSpec(spec.jobTemplate.spec);
  },
  prepareForCreate: clearStatus,
  printer: cronJobTable,
  validate: validateCronJob,
};
