/**
 * The CronJob controller: at each scheduled time it creates a Job from the
 * template (named after the scheduled minute, so a time is never run twice),
 * honouring suspend, concurrencyPolicy and startingDeadlineSeconds, keeps
 * status.active and the last schedule and success times, and prunes finished
 * Jobs beyond the history limits.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, keyOf, splitKey, runQueue, enqueueOwner } from "../controller.js";
import { missedTimes, nextAfter, parseSchedule } from "./schedule.js";
import { rfc3339 } from "../../api/time.js";
import type { CronJob, CronJobStatus, Job } from "kubernetes-types/batch/v1.js";

function jobFinished(job: Job): "Complete" | "Failed" | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
  return c && (c.type === "Complete" ? "Complete" : "Failed");
}

export class CronJobController implements Controller {
  readonly name = "cronjob";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private cronjobs!: Informer<Kube<CronJob>>;
  private jobs!: Informer<Kube<Job>>;

  constructor(private readonly now: () => number = Date.now) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.cronjobs = ctx.informers.informer<Kube<CronJob>>(Resources.cronjobs);
    this.jobs = ctx.informers.informer<Kube<Job>>(Resources.jobs);
    this.cronjobs.addEventHandler({ add: (c) => this.queue.add(keyOf(c)), update: (_o, c) => this.queue.add(keyOf(c)) });
    enqueueOwner(this.jobs, "CronJob", this.queue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "cronjob");
  }

  private async sync(key: string): Promise<number | void> {
    const cj = this.cronjobs.get(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const [ns] = splitKey(key);
    const jobs = this.jobs.list(ns).filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
    const active = jobs.filter((j) => !jobFinished(j));
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    // A stored CronJob has a spec (validation requires its schedule and job template).
    const spec = cj.spec!;
    const successes = jobs.filter((j) => jobFinished(j) === "Complete").map((j) => j.status?.completionTime).filter(Boolean).sort();
    if (successes.length) status.lastSuccessfulTime = successes[successes.length - 1];

    let schedule;
    try {
      schedule = parseSchedule(spec.schedule, spec.timeZone);
    } catch (err) {
      this.ctx.recorder.event(cj, "Warning", "UnparseableSchedule", `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(err as Error).message}`);
      return;
    }
    const now = this.now();
    const since = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp!);
    const due = missedTimes(schedule, since, now);
    const latest = due[due.length - 1];
    const deadline = spec.startingDeadlineSeconds;
    if (latest !== undefined && !spec.suspend && (deadline === undefined || latest + deadline * 1000 >= now)) {
      const policy = spec.concurrencyPolicy ?? "Allow";
      if (policy === "Forbid" && active.length) {
        this.ctx.recorder.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
      } else {
        if (policy === "Replace") {
          for (const j of active) {
            await this.ctx.client.request("DELETE", this.ctx.client.path(Resources.jobs, ns, j.metadata.name), { propagationPolicy: "Background" }).catch(() => undefined);
            this.ctx.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
          }
        }
        const job = await this.createJob(cj, latest);
        if (job) active.push(job);
        status.lastScheduleTime = rfc3339(latest);
      }
    } else if (latest !== undefined && deadline !== undefined && latest + deadline * 1000 < now) {
      this.ctx.recorder.event(cj, "Warning", "MissSchedule", `Missed scheduled time to start a job: ${rfc3339(latest)}`);
      status.lastScheduleTime = rfc3339(latest);
    }
    status.active = active.filter((j) => !jobFinished(j)).map((j) => ({ kind: "Job", namespace: ns, name: j.metadata.name, uid: j.metadata.uid, apiVersion: "batch/v1", resourceVersion: j.metadata.resourceVersion }));
    if (!status.active.length) delete status.active;
    await this.prune(cj, jobs);
    if (JSON.stringify(status) !== JSON.stringify(cj.status ?? {})) {
      await this.ctx.client.update(Resources.cronjobs, ns, { ...cj, status }, "status").catch((err) => { if ((err as { code?: number }).code !== 409) throw err; this.queue.add(key); });
    }
    const next = nextAfter(schedule, now);
    return next === undefined ? undefined : Math.max(100, next - now + 100);
  }

  private async createJob(cj: Kube<CronJob>, scheduled: number): Promise<Kube<Job> | undefined> {
    const template = structuredClone(cj.spec!.jobTemplate ?? {});
    const name = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    try {
      const job = await this.ctx.client.create<Kube<Job>>(Resources.jobs, cj.metadata.namespace, {
        metadata: {
          name, labels: template.metadata?.labels,
          annotations: { ...(template.metadata?.annotations ?? {}), "batch.kubernetes.io/cronjob-scheduled-timestamp": rfc3339(scheduled) },
          ownerReferences: [controllerRef(cj, "batch/v1", "CronJob")],
        },
        spec: template.spec,
      });
      this.ctx.recorder.event(cj, "Normal", "SuccessfulCreate", `Created job ${name}`);
      return job;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return undefined; // this time already ran
      this.ctx.recorder.event(cj, "Warning", "FailedCreate", `Error creating job: ${(err as Error).message}`);
      throw err;
    }
  }

  private async prune(cj: Kube<CronJob>, jobs: Kube<Job>[]): Promise<void> {
    const byStart = (a: Kube<Job>, b: Kube<Job>) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!);
    for (const [outcome, limit] of [["Complete", cj.spec!.successfulJobsHistoryLimit ?? 3], ["Failed", cj.spec!.failedJobsHistoryLimit ?? 1]] as const) {
      const finished = jobs.filter((j) => jobFinished(j) === outcome && !j.metadata.deletionTimestamp).sort(byStart);
      for (const j of finished.slice(0, Math.max(0, finished.length - limit))) {
        await this.ctx.client.request("DELETE", this.ctx.client.path(Resources.jobs, cj.metadata.namespace, j.metadata.name), { propagationPolicy: "Background" }).catch(() => undefined);
        this.ctx.recorder.event(cj, "Normal", "SuccessfulDelete", `Deleted job ${j.metadata.name}`);
      }
    }
  }
}
