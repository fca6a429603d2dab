/**
 * The scheduling queue, as upstream's: an active queue ordered by priority
 * (then by arrival), a backoff queue where a pod that failed waits 1 s,
 * doubling per attempt up to 10 s, and an unschedulable set whose pods move
 * back when the cluster changes in a way that could make them fit, or after
 * 5 minutes whatever happens.
 */

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may sit unschedulable before it is tried again anyway. */
  maxUnschedulableMs?: number;
  now?: () => number;
}

interface Entry { key: string; priority: number; seq: number }

/** A binary heap: highest priority first, then first in. */
class ActiveHeap {
  private readonly items: Entry[] = [];

  get size(): number { return this.items.length; }

  private before(a: Entry, b: Entry): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
  }

  push(e: Entry): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (!h.length || !last) return top;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

export class SchedulingQueue {
  private readonly active = new ActiveHeap();
  /** key -> its current entry in the active heap; entries popped while not current are stale and skipped. */
  private readonly inActive = new Map<string, Entry>();
  /** key -> when its backoff ends. */
  private readonly backoff = new Map<string, number>();
  /** Move requests so far, and the count when each in-flight pod was popped. */
  private moveRequests = 0;
  private readonly poppedAtMove = new Map<string, number>();
  /** key -> when it became unschedulable. */
  private readonly unschedulable = new Map<string, number>();
  private readonly attempts = new Map<string, { count: number; lastFailure: number }>();
  private readonly priorities = new Map<string, number>();
  private seq = 0;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;

  constructor(options: QueueOptions = {}) {
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A new pending pod, or one whose spec changed: straight to the active queue. */
  add(key: string, priority: number): void {
    this.priorities.set(key, priority);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.activate(key);
  }

  /** Whether the pod waits anywhere in the queue (its own status updates must not hurry it). */
  has(key: string): boolean {
    return this.inActive.has(key) || this.backoff.has(key) || this.unschedulable.has(key);
  }

  /**
   * The pod could not be placed: it waits until the cluster changes. If the
   * cluster changed while it was being tried (a move request came after it
   * was popped, as upstream's moveRequestCycle tracks), that change may be
   * what it needed: it goes to its backoff instead, not to wait for another.
   */
  failed(key: string): void {
    const a = this.attempts.get(key) ?? { count: 0, lastFailure: 0 };
    this.attempts.set(key, { count: a.count + 1, lastFailure: this.now() });
    this.inActive.delete(key);
    const poppedAt = this.poppedAtMove.get(key);
    this.poppedAtMove.delete(key);
    if (poppedAt !== undefined && poppedAt < this.moveRequests) this.backoff.set(key, this.backoffEnd(key));
    else this.unschedulable.set(key, this.now());
    this.arm();
  }

  /** Binding failed for a reason other than the pod's fit: retry after its backoff. */
  retryLater(key: string): void {
    this.poppedAtMove.delete(key);
    const a = this.attempts.get(key) ?? { count: 0, lastFailure: 0 };
    this.attempts.set(key, { count: a.count + 1, lastFailure: this.now() });
    this.inActive.delete(key);
    this.backoff.set(key, this.backoffEnd(key));
    this.arm();
  }

  /** Something changed that could make unschedulable pods fit: back to active, or to backoff if theirs has not ended. */
  moveAllToActiveOrBackoff(): void {
    this.moveRequests++;
    const now = this.now();
    for (const key of this.unschedulable.keys()) {
      const end = this.backoffEnd(key);
      if (end > now) this.backoff.set(key, end);
      else this.activate(key);
    }
    this.unschedulable.clear();
    this.arm();
  }

  /** The pod was scheduled, deleted, or is no longer this scheduler's. */
  forget(key: string): void {
    this.poppedAtMove.delete(key);
    this.inActive.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.attempts.delete(key);
    this.priorities.delete(key);
  }

  /** The next pod to schedule; waits for one. Resolves undefined once closed. */
  async pop(): Promise<string | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const e = this.active.pop();
      if (e) {
        if (this.inActive.get(e.key) !== e) continue;
        this.inActive.delete(e.key);
        this.poppedAtMove.set(e.key, this.moveRequests);
        return e.key;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  /** Counts for logs and tests. */
  sizes(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.inActive.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  private activate(key: string): void {
    if (this.inActive.has(key)) return;
    const e = { key, priority: this.priorities.get(key) ?? 0, seq: this.seq++ };
    this.inActive.set(key, e);
    this.active.push(e);
    this.wake?.();
  }

  private backoffEnd(key: string): number {
    const a = this.attempts.get(key);
    if (!a) return 0;
    const ms = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(30, a.count - 1));
    return a.lastFailure + ms;
  }

  /** Moves what is due (ended backoffs, pods unschedulable too long); ticks while anything waits, as upstream's flushes. */
  private flush(): void {
    this.timer = undefined;
    const now = this.now();
    for (const [key, end] of this.backoff) if (end <= now) { this.backoff.delete(key); this.activate(key); }
    for (const [key, since] of this.unschedulable) {
      if (since + this.maxUnschedulableMs <= now) { this.unschedulable.delete(key); this.activate(key); }
    }
    this.arm();
  }

  private arm(): void {
    if (this.closed || this.timer || (!this.backoff.size && !this.unschedulable.size)) return;
    this.timer = setTimeout(() => this.flush(), Math.min(1000, this.initialBackoffMs));
    this.timer.unref();
  }
}
