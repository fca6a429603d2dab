/**
 * A RangeAllocator kept in storage, as upstream's etcd-backed allocator: one
 * RangeAllocation (range and bitmap) at a key, every change written by
 * compare-and-swap on the revision it was read at, so that API servers on
 * one store never hand out a value twice. A change made on a stale copy
 * fails its swap; the allocator then reads the stored bitmap and does the
 * change again on it.
 *
 * One write is in flight per process at a time (a second would only lose its
 * swap to the first); the changes asked for meanwhile go together in the
 * next write, so that concurrent creates share writes instead of queueing
 * for one each. The last stored state is kept: while no other server
 * writes, a change costs one write and no read.
 *
 * The record exists once the repair loop (allocation-repair.ts) first ran;
 * before that, allocation is refused, as upstream.
 */
import { ApiError } from "../../api/errors.js";
import { isStoreError, type Store } from "../../storage/index.js";
import { AllocationError, RangeAllocator, type RangeSpec } from "./allocator.js";

/** Upstream's stored form (core/v1 RangeAllocation, data as base64 of the bitmap's bytes). */
interface RangeAllocationRecord {
  kind: "RangeAllocation";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  range: string;
  data: string;
}

export interface StoredRange {
  /** The stored bitmap; empty when the record is of another range (the service CIDR changed). */
  allocator: RangeAllocator;
  /** The record's own range: a record of another range holds offsets of that range, for the repair to rewrite. */
  range: string;
  /** The record's revision, for a guarded write. */
  revision: number;
}

/**
 * One asked-for change. apply changes the bitmap and says whether it changed
 * anything, or throws AllocationError having changed nothing; it may run
 * again on fresher state, and its caller hears once the write that holds it
 * is stored.
 */
interface Change {
  apply(a: RangeAllocator): boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/** How often a change is tried again after losing a swap to another server before it gives up with 409. */
const MAX_ATTEMPTS = 200;

export class StorageAllocator {
  private last?: StoredRange;
  private queued: Change[] = [];
  private writing = false;

  constructor(
    private readonly store: Store,
    /** `/registry/ranges/serviceips`, `/registry/ranges/servicenodeports`. */
    readonly key: string,
    /** Upstream's resource name for messages: `serviceipallocations`, `servicenodeportallocations`. */
    private readonly resource: string,
    readonly spec: RangeSpec,
    private readonly random: () => number = Math.random,
  ) {}

  newAllocator(): RangeAllocator {
    return new RangeAllocator(this.spec, this.random);
  }

  /** Takes value; throws AllocationError "allocated" or "notInRange". */
  allocate(value: number): Promise<void> {
    return this.change((a) => { a.allocate(value); return true; });
  }

  /** Takes a free value; throws AllocationError "full". */
  async allocateNext(): Promise<number> {
    let value = 0;
    await this.change((a) => { value = a.allocateNext(); return true; });
    return value;
  }

  /** Gives values back; those not taken are ignored. */
  release(values: number[]): Promise<void> {
    return this.change((a) => {
      const taken = values.filter((v) => a.has(v));
      for (const v of taken) a.release(v);
      return taken.length > 0;
    });
  }

  /** Whether value is taken now, read from storage (for dry runs, which take nothing). */
  async has(value: number): Promise<boolean> {
    return (await this.read())?.allocator.has(value) ?? false;
  }

  /** The stored state, or undefined when there is no record yet. */
  async read(): Promise<StoredRange | undefined> {
    const kv = await this.store.get(this.key);
    if (!kv) return undefined;
    const record = JSON.parse(kv.value) as RangeAllocationRecord;
    const allocator = this.newAllocator();
    if (record.range === this.spec.range) allocator.restore(record.data ?? "");
    return { allocator, range: record.range, revision: kv.modRevision };
  }

  /**
   * Writes a whole bitmap (the repair's), guarded by the revision its input
   * was read at (0: create). Throws the store's Conflict or KeyExists when
   * another writer came first.
   */
  async write(allocator: RangeAllocator, revision: number): Promise<void> {
    const value = encode(allocator);
    if (revision) await this.store.update(this.key, value, revision);
    else await this.store.create(this.key, value);
    this.last = undefined;
  }

  private change(apply: (a: RangeAllocator) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ apply, resolve, reject });
      this.writeQueued();
    });
  }

  private writeQueued(): void {
    if (this.writing || !this.queued.length) return;
    this.writing = true;
    const batch = this.queued;
    this.queued = [];
    void this.commit(batch).finally(() => {
      this.writing = false;
      this.writeQueued();
    });
  }

  /** Settles every change of the batch: stored, refused, or failed with the store's error. */
  private async commit(batch: Change[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        const err = new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${this.resource}: the allocation was changed by other servers ${MAX_ATTEMPTS} times in a row; please try again`);
        for (const c of pending) c.reject(err);
        return;
      }
      let current: StoredRange | undefined;
      const fresh = !this.last;
      try {
        current = this.last ?? (await this.read());
      } catch (err) {
        for (const c of pending) c.reject(err);
        return;
      }
      if (!current || current.range !== this.spec.range) {
        for (const c of pending) c.reject(this.notReady());
        return;
      }
      const next = current.allocator.clone();
      const applied: Change[] = [];
      // Refused on a copy another server may have changed since: judged again on what is stored.
      const rejudge: Change[] = [];
      let changed = false;
      for (const c of pending) {
        try {
          if (c.apply(next)) changed = true;
          applied.push(c);
        } catch (err) {
          if (err instanceof AllocationError && !fresh) rejudge.push(c);
          else c.reject(err);
        }
      }
      if (changed) {
        try {
          const kv = await this.store.update(this.key, encode(next), current.revision);
          this.last = { allocator: next, range: this.spec.range, revision: kv.modRevision };
        } catch (err) {
          this.last = undefined;
          if (isStoreError(err, "Conflict")) { pending = [...applied, ...rejudge]; continue; }
          const final = isStoreError(err, "NotFound") ? this.notReady() : err;
          for (const c of [...applied, ...rejudge]) c.reject(final);
          return;
        }
      }
      for (const c of applied) c.resolve();
      if (rejudge.length) this.last = undefined;
      pending = rejudge;
    }
  }

  private notReady(): ApiError {
    return new ApiError(500, "InternalError", `Internal error occurred: cannot allocate resources of type ${this.resource} at this time`);
  }
}

/** Written on every allocation, with up to 11 KB of data: spliced, as base64 needs no escaping. */
function encode(allocator: RangeAllocator): string {
  const head = JSON.stringify({ kind: "RangeAllocation", apiVersion: "v1", metadata: { creationTimestamp: null }, range: allocator.spec.range } satisfies Omit<RangeAllocationRecord, "data">);
  return `${head.slice(0, -1)},"data":"${allocator.snapshot()}"}`;
}
