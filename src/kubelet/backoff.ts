/**
 * Crash-loop back-off, upstream's numbers: after an exit the container may
 * restart at once; each further exit within the delay doubles it, from 10 s to
 * 5 minutes; a container that ran 10 minutes starts over at 10 s.
 */
export class Backoff {
  private readonly entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  constructor(private readonly initialMs = 10_000, private readonly maxMs = 300_000, private readonly now = () => Date.now()) {}

  /** True while `key` may not restart yet after an event (an exit) at `since`. */
  inBackoffSince(key: string, since: number): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    return this.now() - since < e.delayMs;
  }

  /** The delay that applies to `key` now. */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records a restart at `since` and grows the delay for the next. */
  next(key: string, ranMs: number): void {
    const e = this.entries.get(key);
    if (!e || ranMs >= 600_000) this.entries.set(key, { delayMs: this.initialMs, lastUpdate: this.now() });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), lastUpdate: this.now() });
  }

  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
