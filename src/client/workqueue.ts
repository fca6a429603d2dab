/**
 * A rate-limited work queue, as client-go's: a key is queued once however
 * often it is added, no two workers hold one key at a time (a key added while
 * being processed is queued again when it is done), and a failing key comes
 * back after an exponential, per-key delay.
 */
import type { QueueMetrics } from "./workqueue-metrics.js";

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private metrics?: QueueMetrics;
  /** When each queued key was added, and when each processing key was taken (for the metrics). */
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();

  constructor(private readonly options: WorkQueueOptions = {}) {}

  /**
   * Reports to metrics from now on. A controller's queue is made before the
   * manager knows its name, so metrics come later; keys already queued count
   * as added now.
   */
  setMetrics(metrics: QueueMetrics): void {
    this.metrics = metrics;
    const now = performance.now();
    for (const key of this.queue) { this.addedAt.set(key, now); metrics.add(); }
    metrics.depth(this.queue.length);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.add();
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.take(key, 0);
      waiter(key);
    } else {
      if (this.metrics) this.addedAt.set(key, performance.now());
      this.queue.push(key);
      this.metrics?.depth(this.queue.length);
    }
  }

  private take(key: string, waited: number): void {
    this.processing.add(key);
    if (!this.metrics) return;
    this.metrics.get(waited / 1000);
    this.startedAt.set(key, performance.now());
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    if (this.timers.has(key)) return;
    this.timers.set(key, setTimeout(() => { this.timers.delete(key); this.add(key); }, delayMs));
  }

  /** Requeues after the key's backoff: base × 2^failures, capped. */
  addRateLimited(key: string): void {
    this.metrics?.retry();
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min((this.options.baseDelayMs ?? 5) * 2 ** n, this.options.maxDelayMs ?? 1000_000);
    this.addAfter(key, delay);
  }

  /** Clears the key's failure count after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once the queue is shut down. Call done(key) when finished. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      const added = this.addedAt.get(key);
      this.addedAt.delete(key);
      this.metrics?.depth(this.queue.length);
      this.take(key, added === undefined ? 0 : performance.now() - added);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) {
      this.startedAt.delete(key);
      this.metrics?.done((performance.now() - started) / 1000);
    }
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  get length(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }
}

/**
 * Runs n workers over a queue until it shuts down. reconcile returning a number
 * requeues the key after that many ms; throwing requeues it with backoff.
 */
export function runWorkers(queue: WorkQueue, n: number, reconcile: (key: string) => Promise<number | void>, onError: (key: string, err: unknown) => void): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const after = await reconcile(key);
        queue.forget(key);
        if (typeof after === "number") queue.addAfter(key, after);
      } catch (err) {
        onError(key, err);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  return Promise.all(Array.from({ length: n }, worker)).then(() => undefined);
}
