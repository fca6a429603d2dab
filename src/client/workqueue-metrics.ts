/**
 * client-go's work queue metrics (workqueue_*), one series per queue `name`,
 * with upstream's buckets (10 ns to 1000 s, ×10 each).
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from "../metrics/index.js";

/** What a queue tells its metrics; times in seconds. */
export interface QueueMetrics {
  add(): void;
  /** A key left the queue for a worker after waiting this long. */
  get(waited: number): void;
  /** A worker finished a key after this long. */
  done(worked: number): void;
  retry(): void;
  depth(n: number): void;
}

const BUCKETS = exponentialBuckets(10e-9, 10, 12);

export class WorkQueueMetrics {
  private readonly depthGauge: Gauge;
  private readonly adds: Counter;
  private readonly latency: Histogram;
  private readonly work: Histogram;
  private readonly retries: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ["name"];
    this.depthGauge = new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames, registers });
    this.adds = new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames, registers });
    this.latency = new Histogram({ name: "workqueue_queue_duration_seconds", help: "How long in seconds an item stays in workqueue before being requested.", labelNames, buckets: BUCKETS, registers });
    this.work = new Histogram({ name: "workqueue_work_duration_seconds", help: "How long in seconds processing an item from workqueue takes.", labelNames, buckets: BUCKETS, registers });
    this.retries = new Counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames, registers });
  }

  forQueue(name: string): QueueMetrics {
    const l = { name };
    // Series exist from the start, at zero, as client-go's do once a queue is made.
    this.depthGauge.set(l, 0);
    this.adds.inc(l, 0);
    this.retries.inc(l, 0);
    return {
      add: () => this.adds.inc(l),
      get: (waited) => this.latency.observe(l, waited),
      done: (worked) => this.work.observe(l, worked),
      retry: () => this.retries.inc(l),
      depth: (n) => this.depthGauge.set(l, n),
    };
  }
}
