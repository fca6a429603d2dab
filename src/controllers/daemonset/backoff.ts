/**
 * The DaemonSet controller's backoff for failed daemon pods (upstream's
 * failedPodsBackoff, a flowcontrol.Backoff of 1 s to 15 min): each kill of a
 * failed pod on a node doubles the wait before the next; a node quiet for
 * twice the maximum starts over.
 */
export class Backoff {
  private readonly entries = new Map<string, { delayMs: number; lastUpdate: number }>();

  constructor(private readonly initialMs: number, private readonly maxMs: number, private readonly now = () => Date.now()) {}

  /**
   * 0 when `key` may act now, which starts its next delay; else how long it
   * must still wait since its last action.
   */
  wait(key: string): number {
    const now = this.now();
    const e = this.entries.get(key);
    if (e && now - e.lastUpdate < e.delayMs) return e.delayMs - (now - e.lastUpdate);
    const expired = !e || now - e.lastUpdate > 2 * this.maxMs;
    this.entries.set(key, { delayMs: expired ? this.initialMs : Math.min(e.delayMs * 2, this.maxMs), lastUpdate: now });
    return 0;
  }
}
