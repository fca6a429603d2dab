/**
 * The Job controller: runs pods until spec.completions succeed (NonIndexed,
 * or one per index when Indexed) with at most spec.parallelism at a time,
 * fails the Job past backoffLimit or activeDeadlineSeconds or as its
 * podFailurePolicy says (FailJob, FailIndex, Ignore, Count); an Indexed Job
 * with backoffLimitPerIndex retries each index alone and records failedIndexes
 * (failing as a whole past maxFailedIndexes, or at the end); honours suspend,
 * and deletes finished Jobs after ttlSecondsAfterFinished.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, isPodActive, isPodReady, keyOf, nowTime, splitKey, runQueue } from "../controller.js";
import { Expectations } from "../replicaset/expectations.js";
import { matchPodFailurePolicy } from "./pod-failure-policy.js";
import { formatIndexes } from "./indexes.js";
import { claimObjects, enqueueMatchingControllers, selectorOf } from "../controller-ref-manager.js";
import type { Job, JobCondition, JobSpec, JobStatus } from "kubernetes-types/batch/v1.js";
import type { Pod, PodSpec } from "kubernetes-types/core/v1.js";

const INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
const INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count";

export class JobController implements Controller {
  readonly name = "job";
  private readonly queue = new WorkQueue();
  private readonly expectations = new Expectations();
  private ctx!: ControllerContext;
  private jobs!: Informer<Kube<Job>>;
  private pods!: Informer<Kube<Pod>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.jobs = ctx.informers.informer<Kube<Job>>(Resources.jobs);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.jobs.addEventHandler({ add: (j) => this.queue.add(keyOf(j)), update: (_o, j) => this.queue.add(keyOf(j)), delete: (j) => this.expectations.forget(keyOf(j)) });
    const owner = (p: Kube<Pod>) => { const r = controllerOf(p); return r?.kind === "Job" ? `${p.metadata.namespace}/${r.name}` : undefined; };
    this.pods.addEventHandler({
      add: (p) => { const k = owner(p); if (k) { this.expectations.creationObserved(k); this.queue.add(k); } },
      update: (_o, p) => { const k = owner(p); if (k) this.queue.add(k); },
      delete: (p) => { const k = owner(p); if (k) { this.expectations.deletionObserved(k); this.queue.add(k); } },
    });
    enqueueMatchingControllers(this.pods, this.jobs, this.queue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 5, (key) => this.sync(key), this.ctx, "job");
  }

  private finished(job: Kube<Job>): { type: string; time?: string } | undefined {
    const c = (job.status?.conditions ?? []).find((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True");
    return c && { type: c.type, time: c.lastTransitionTime };
  }

  private async sync(key: string): Promise<number | void> {
    const job = this.jobs.get(key);
    if (!job || job.metadata.deletionTimestamp) return;
    const [ns] = splitKey(key);
    const pods = await claimObjects(this.pods.list(ns), {
      client: this.ctx.client, controller: job, kind: { apiVersion: "batch/v1", kind: "Job", resource: Resources.jobs }, dependents: Resources.pods, selector: selectorOf(job),
    });
    const done = this.finished(job);
    if (done) return this.expireAfterTTL(job, done.time);
    const spec: Partial<JobSpec> = job.spec ?? {};
    const succeededPods = pods.filter((p) => p.status?.phase === "Succeeded");
    // podFailurePolicy: a failed pod may fail the whole Job, or not count against backoffLimit at all.
    const failures = pods.filter((p) => p.status?.phase === "Failed").map((p) => ({ pod: p, match: matchPodFailurePolicy(spec.podFailurePolicy, p) }));
    const failJob = failures.find((f) => f.match?.action === "FailJob")?.match;
    const failed = failures.filter((f) => f.match?.action !== "Ignore").length;
    const active = pods.filter(isPodActive);
    const indexed = spec.completionMode === "Indexed";
    const succeededIndexes = new Set(succeededPods.map((p) => Number(p.metadata.annotations?.[INDEX_ANNOTATION])));
    const succeeded = indexed ? succeededIndexes.size : succeededPods.length;
    // backoffLimitPerIndex: an index that failed more often than allowed (or by a FailIndex rule) is not retried.
    const backoffLimitPerIndex = spec.backoffLimitPerIndex;
    const perIndex = indexed && backoffLimitPerIndex !== undefined;
    const failuresByIndex = new Map<number, number>();
    const failedIndexes = new Set<number>();
    if (indexed) {
      for (const f of failures) {
        if (f.match?.action === "Ignore") continue;
        const i = Number(f.pod.metadata.annotations?.[INDEX_ANNOTATION]);
        failuresByIndex.set(i, (failuresByIndex.get(i) ?? 0) + 1);
        if (perIndex && f.match?.action === "FailIndex") failedIndexes.add(i);
      }
      if (perIndex) for (const [i, n] of failuresByIndex) if (n > backoffLimitPerIndex) failedIndexes.add(i);
      for (const i of succeededIndexes) failedIndexes.delete(i);
    }
    const settled = succeededIndexes.size + failedIndexes.size;
    const completions: number | undefined = spec.completions;
    const status: JobStatus = { ...(job.status ?? {}) };
    status.startTime ??= spec.suspend ? undefined : nowTime();
    const conditions: JobCondition[] = [...(status.conditions ?? [])];
    const addCondition = (type: string, reason: string, message: string) => {
      const t = nowTime();
      conditions.push({ type, status: "True", lastProbeTime: t, lastTransitionTime: t, reason, message });
    };
    const deadline = spec.activeDeadlineSeconds !== undefined && status.startTime && Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 <= Date.now();
    let outcome: "Complete" | "Failed" | undefined;
    if (failJob) {
      outcome = "Failed";
      addCondition("FailureTarget", "PodFailurePolicy", failJob.message);
      addCondition("Failed", "PodFailurePolicy", failJob.message);
    } else if (perIndex && spec.maxFailedIndexes !== undefined && failedIndexes.size > spec.maxFailedIndexes) {
      outcome = "Failed";
      addCondition("FailureTarget", "MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes");
      addCondition("Failed", "MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes");
    } else if (perIndex && failedIndexes.size && settled >= (completions ?? 0) && !active.some((p) => !failedIndexes.has(Number(p.metadata.annotations?.[INDEX_ANNOTATION])))) {
      outcome = "Failed";
      addCondition("FailureTarget", "FailedIndexes", "Job has failed indexes");
      addCondition("Failed", "FailedIndexes", "Job has failed indexes");
    } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
      outcome = "Complete";
      addCondition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods");
      addCondition("Complete", "CompletionsReached", "Reached expected number of succeeded pods");
      status.completionTime = nowTime();
    } else if (failed > (spec.backoffLimit ?? 6)) {
      outcome = "Failed";
      addCondition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
      addCondition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    } else if (deadline) {
      outcome = "Failed";
      addCondition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline");
      addCondition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline");
    }
    if (outcome) {
      await Promise.all(active.map((p) => this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined)));
      // The last condition is the one just added, with its reason and message.
      const last = conditions[conditions.length - 1]!;
      this.ctx.recorder.event(job, outcome === "Complete" ? "Normal" : "Warning", outcome === "Complete" ? "Completed" : last.reason!, outcome === "Complete" ? "Job completed" : last.message!);
    } else if (spec.suspend) {
      await Promise.all(active.map((p) => this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined)));
    } else if (this.expectations.satisfied(key)) {
      const remaining = completions === undefined ? (succeeded > 0 ? 0 : spec.parallelism ?? 1) : completions - succeeded - failedIndexes.size;
      const want = Math.max(0, Math.min(spec.parallelism ?? 1, remaining));
      const diff = want - active.length;
      if (diff > 0) {
        const busy = new Set([...active.map((p) => Number(p.metadata.annotations?.[INDEX_ANNOTATION])), ...succeededIndexes, ...failedIndexes]);
        const indexes: (number | undefined)[] = [];
        for (let i = 0; indexes.length < diff && (!indexed || i < (completions ?? 0)); i++) {
          if (!indexed) { indexes.push(undefined); continue; }
          if (!busy.has(i)) indexes.push(i);
        }
        this.expectations.expect(key, indexes.length, 0);
        await Promise.all(indexes.map((i) => this.createPod(job, i, i === undefined ? 0 : failuresByIndex.get(i) ?? 0).catch((err) => { this.expectations.lower(key, 1, 0); throw err; })));
      }
    }
    status.conditions = conditions.length ? conditions : undefined;
    status.active = outcome ? undefined : active.length || undefined;
    status.succeeded = succeeded || undefined;
    status.failed = failed || undefined;
    status.ready = outcome ? undefined : active.filter(isPodReady).length;
    if (indexed) status.completedIndexes = formatIndexes(succeededIndexes);
    if (perIndex) status.failedIndexes = formatIndexes(failedIndexes) ?? "";
    if (spec.suspend && !conditions.some((c) => c.type === "Suspended")) addCondition("Suspended", "JobSuspended", "Job suspended");
    for (const k of Object.keys(status) as (keyof JobStatus)[]) if (status[k] === undefined) delete status[k];
    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
      await this.ctx.client.update(Resources.jobs, ns, { ...job, status }, "status").catch((err) => { if ((err as { code?: number }).code !== 409) throw err; this.queue.add(key); });
    }
    if (!outcome && spec.activeDeadlineSeconds !== undefined && status.startTime) {
      return Math.max(100, Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - Date.now());
    }
  }

  private async createPod(job: Kube<Job>, index: number | undefined, indexFailures: number): Promise<void> {
    const t = structuredClone(job.spec!.template ?? {});
    const annotations = { ...(t.metadata?.annotations ?? {}) };
    const labels = { ...(t.metadata?.labels ?? {}) };
    const spec: Partial<PodSpec> = t.spec ?? {};
    if (index !== undefined) {
      annotations[INDEX_ANNOTATION] = String(index);
      labels[INDEX_ANNOTATION] = String(index);
      if (job.spec!.backoffLimitPerIndex !== undefined) annotations[INDEX_FAILURE_COUNT] = String(indexFailures);
      // Each container learns its index from the annotation, as upstream's pods do.
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        if ((c.env ?? []).some((e) => e.name === "JOB_COMPLETION_INDEX")) continue;
        c.env = [...(c.env ?? []), { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${INDEX_ANNOTATION}']` } } }];
      }
      spec.hostname ??= `${job.metadata.name}-${index}`;
    }
    const created = await this.ctx.client.create(Resources.pods, job.metadata.namespace, {
      metadata: {
        generateName: index !== undefined ? `${job.metadata.name}-${index}-` : `${job.metadata.name}-`,
        labels, annotations,
        ownerReferences: [controllerRef(job, "batch/v1", "Job")],
      },
      spec,
    });
    this.ctx.recorder.event(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
  }

  private async expireAfterTTL(job: Kube<Job>, finishedAt: string | undefined): Promise<number | void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || !finishedAt) return;
    const due = Date.parse(finishedAt) + ttl * 1000 - Date.now();
    if (due > 0) return due;
    await this.ctx.client.request("DELETE", this.ctx.client.path(Resources.jobs, job.metadata.namespace, job.metadata.name), { propagationPolicy: "Background", preconditions: { uid: job.metadata.uid } }).catch(() => undefined);
  }
}
