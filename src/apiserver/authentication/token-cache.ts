/**
 * The results of token authentication, kept for a short while, as upstream's
 * cached token authenticator (k8s.io/apiserver/pkg/authentication/token/cache)
 * keeps kube-apiserver's: successes for 10 s by default, failures not at all,
 * so a refused token is refused on every try and a wrong guess costs the full
 * check each time.
 *
 * Keys are an HMAC-SHA256 of the audiences and the token under a random key
 * made for this process: the token itself is never kept, and a key seen in a
 * heap dump or a log leads nowhere. The cache holds at most `maxEntries`
 * results and drops the least recently used first. Concurrent lookups of one
 * key share one check.
 *
 * A result may end sooner than the TTL (`expiresAt`, e.g. the token's own
 * expiry), and may name what it depends on (`dependsOn`, e.g. the pod a token
 * is bound to): `invalidate(dependency)` drops every result that named it,
 * so a change to that object is seen at once rather than after the TTL.
 */
import { createHmac, randomBytes } from "node:crypto";

export interface TokenCacheOptions {
  /** How long a success is kept (upstream's TokenSuccessCacheTTL, 10 s). */
  successTtlMs?: number;
  /** The most results kept at once. */
  maxEntries?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface Cacheable<V> {
  value: V;
  /** When the result stops holding, if sooner than the TTL (ms since the epoch). */
  expiresAt?: number;
  /** What the result depends on, as strings the caller passes to invalidate(). */
  dependsOn?: string[];
}

interface Entry<V> { value: V; expiresAt: number; dependsOn: string[] }

export const DEFAULT_SUCCESS_TTL_MS = 10_000;
export const DEFAULT_MAX_ENTRIES = 4096;

export class TokenCache<V> {
  private readonly secret = randomBytes(32);
  private readonly entries = new Map<string, Entry<V>>();
  private readonly byDependency = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<V | undefined>>();
  /**
   * Invalidations seen while checks were running, by dependency: a check
   * that began before its dependency changed does not store what it read.
   * Emptied whenever no check is running, so it stays small.
   */
  private readonly invalidatedAt = new Map<string, number>();
  private generation = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.ttlMs = options.successTtlMs ?? DEFAULT_SUCCESS_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached result for the token and audiences, else check()'s, kept if
   * it is a success (check resolves to a Cacheable). check resolving to
   * undefined (not a token of this authenticator) or throwing (refused, or
   * an error) is passed on and not kept.
   */
  async lookup(token: string, audiences: readonly string[], check: () => Promise<Cacheable<V> | undefined>): Promise<V | undefined> {
    const key = this.keyOf(token, audiences);
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expiresAt > this.now()) {
        // Most recently used goes last, so eviction takes the oldest first.
        this.entries.delete(key);
        this.entries.set(key, hit);
        // Each caller gets its own copy: a result is never shared for a caller to change.
        return structuredClone(hit.value);
      }
      this.drop(key);
    }
    const running = this.inFlight.get(key);
    if (running) return running.then((v) => (v === undefined ? v : structuredClone(v)));
    const started = this.generation;
    const p = check().then((result) => {
      if (!result) return undefined;
      if (!(result.dependsOn ?? []).some((d) => (this.invalidatedAt.get(d) ?? -1) > started)) this.store(key, result);
      return result.value;
    }).finally(() => {
      this.inFlight.delete(key);
      if (this.inFlight.size === 0) this.invalidatedAt.clear();
    });
    this.inFlight.set(key, p);
    return p;
  }

  /** Drops every result that depends on `dependency`. */
  invalidate(dependency: string): void {
    if (this.inFlight.size) this.invalidatedAt.set(dependency, ++this.generation);
    const keys = this.byDependency.get(dependency);
    if (!keys) return;
    for (const key of [...keys]) this.drop(key);
  }

  private keyOf(token: string, audiences: readonly string[]): string {
    const mac = createHmac("sha256", this.secret);
    // Lengths first, so that no two lists of strings give the same input.
    for (const a of audiences) mac.update(`${Buffer.byteLength(a)}:${a}`);
    mac.update(`|${token}`);
    return mac.digest("base64url");
  }

  private store(key: string, result: Cacheable<V>): void {
    const expiresAt = Math.min(this.now() + this.ttlMs, result.expiresAt ?? Infinity);
    if (expiresAt <= this.now() || this.maxEntries <= 0) return;
    this.drop(key);
    const dependsOn = result.dependsOn ?? [];
    this.entries.set(key, { value: structuredClone(result.value), expiresAt, dependsOn });
    for (const d of dependsOn) {
      let keys = this.byDependency.get(d);
      if (!keys) this.byDependency.set(d, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.maxEntries) this.drop(this.entries.keys().next().value!);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const d of entry.dependsOn) {
      const keys = this.byDependency.get(d);
      keys?.delete(key);
      if (keys?.size === 0) this.byDependency.delete(d);
    }
  }
}
