/**
 * Creations and deletions a controller is still waiting to see in its cache,
 * per owner key, so that a sync on a stale cache does not act twice (upstream's
 * ControllerExpectations). Expectations lapse after five minutes.
 */
export class Expectations {
  private readonly pending = new Map<string, { adds: number; dels: number; at: number }>();

  expect(key: string, adds: number, dels: number): void {
    this.pending.set(key, { adds, dels, at: Date.now() });
  }

  creationObserved(key: string): void {
    const e = this.pending.get(key);
    if (e) e.adds--;
  }

  deletionObserved(key: string): void {
    const e = this.pending.get(key);
    if (e) e.dels--;
  }

  /** Lowers the wait when an action failed and will not be observed. */
  lower(key: string, adds: number, dels: number): void {
    const e = this.pending.get(key);
    if (e) { e.adds -= adds; e.dels -= dels; }
  }

  satisfied(key: string): boolean {
    const e = this.pending.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.dels <= 0) || Date.now() - e.at > 5 * 60_000) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
