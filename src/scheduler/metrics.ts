/**
 * The scheduler's Prometheus families with upstream's names, labels and
 * buckets (pkg/scheduler/metrics). Made once per process: a scheduler is
 * made again each time it wins the election, and points pending() at its
 * queue.
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from "../metrics/index.js";

export type AttemptResult = "scheduled" | "unschedulable" | "error";

export interface PendingPods { active: number; backoff: number; unschedulable: number; gated?: number }

export class SchedulerMetrics {
  private readonly attempts: Counter;
  private readonly attemptDuration: Histogram;
  private readonly preemptions: Counter;
  private readonly sli: Histogram;
  private pendingSource?: () => PendingPods;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({ name: "scheduler_schedule_attempts_total", help: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.", labelNames: ["result", "profile"], registers });
    this.attemptDuration = new Histogram({ name: "scheduler_scheduling_attempt_duration_seconds", help: "Scheduling attempt latency in seconds (scheduling algorithm + binding)", labelNames: ["result", "profile"], buckets: exponentialBuckets(0.001, 2, 15), registers });
    this.preemptions = new Counter({ name: "scheduler_preemption_attempts_total", help: "Total preemption attempts in the cluster till now", registers });
    this.sli = new Histogram({ name: "scheduler_pod_scheduling_sli_duration_seconds", help: "E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue and might involve multiple scheduling attempts.", labelNames: ["attempts"], buckets: exponentialBuckets(0.01, 2, 20), registers });
    const source = () => this.pendingSource?.();
    new Gauge({
      name: "scheduler_pending_pods", help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.",
      labelNames: ["queue"], registers,
      collect() {
        const p = source() ?? { active: 0, backoff: 0, unschedulable: 0 };
        this.set({ queue: "active" }, p.active);
        this.set({ queue: "backoff" }, p.backoff);
        this.set({ queue: "unschedulable" }, p.unschedulable);
        this.set({ queue: "gated" }, p.gated ?? 0);
      },
    });
  }

  /** The queue of the scheduler that runs now. */
  pending(source: () => PendingPods): void {
    this.pendingSource = source;
  }

  attempt(result: AttemptResult, profile: string, seconds: number): void {
    this.attempts.inc({ result, profile });
    this.attemptDuration.observe({ result, profile }, seconds);
  }

  preemptionAttempt(): void {
    this.preemptions.inc();
  }

  /** A pod scheduled, seconds after it first entered the queue, after this many attempts. */
  scheduled(seconds: number, attempts: number): void {
    this.sli.observe({ attempts: String(attempts) }, seconds);
  }
}
