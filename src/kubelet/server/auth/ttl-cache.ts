/**
 * A small map whose entries end after their own time to live, holding at
 * most `maxEntries` (the oldest go first): the kubelet's caches of
 * TokenReview and SubjectAccessReview answers. Lookups of one key that is
 * being computed share one computation; a computation that fails is not
 * kept, so an API server that could not be reached is asked again next time.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<V>>();

  constructor(private readonly options: { ttlMs: (value: V) => number; maxEntries?: number; now?: () => number }) {}

  private now(): number { return this.options.now?.() ?? Date.now(); }

  async get(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    if (hit) this.entries.delete(key);
    const running = this.pending.get(key);
    if (running) return running;
    const p = compute().then((value) => {
      this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs(value) });
      const max = this.options.maxEntries ?? 4096;
      for (const k of this.entries.keys()) { if (this.entries.size <= max) break; this.entries.delete(k); }
      return value;
    }).finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }
}
