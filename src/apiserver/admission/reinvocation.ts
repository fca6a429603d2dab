/**
 * Upstream's admission.ReinvocationContext: what one request's mutating
 * admission knows across its two rounds. A plugin that changed the object in
 * a way the others have not seen (a mutating webhook's patch) asks for a
 * second round; the chain then runs every mutating step once more, the
 * built-in plugins included, so that they default or refuse what a webhook
 * added (a container given its token mount and LimitRange defaults). There is
 * never a third round. Plugins keep their own state across the rounds under
 * their name (`value`/`setValue`).
 */
export class ReinvocationContext {
  private reinvoke = false;
  private reinvokeRequested = false;
  private readonly values = new Map<string, unknown>();

  /** Whether this is the second round. */
  isReinvoke(): boolean {
    return this.reinvoke;
  }

  /** Called by the chain as the second round starts. */
  setIsReinvoke(): void {
    this.reinvoke = true;
  }

  /** Whether a plugin asked for a second round. */
  shouldReinvoke(): boolean {
    return this.reinvokeRequested;
  }

  /** Asks for a second round (a no-op during it). */
  setShouldReinvoke(): void {
    this.reinvokeRequested = true;
  }

  value<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  setValue(key: string, value: unknown): void {
    this.values.set(key, value);
  }
}
