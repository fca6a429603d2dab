/** Shared informers: one list+watch per resource, shared by every controller in a process. */
import type { Client, KubeObject, ResourceRef } from "./client.js";
import { Informer } from "./informer.js";

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = new Set<string>();
  private signal?: AbortSignal;

  constructor(private readonly client: Client) {}

  informer<T extends KubeObject = KubeObject>(r: ResourceRef): Informer<T> {
    const key = `${r.group}/${r.version}/${r.resource}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, r);
      this.informers.set(key, inf);
      if (this.signal) this.run(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  private run(key: string, inf: Informer<KubeObject>): void {
    if (this.started.has(key)) return;
    this.started.add(key);
    void inf.run(this.signal!);
  }

  /** Starts every informer asked for so far, and any asked for later. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const [key, inf] of this.informers) this.run(key, inf);
  }

  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.hasSynced));
  }
}
