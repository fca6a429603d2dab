/**
 * A resource's objects kept in the API server's memory by listing them and
 * then following a watch, as upstream's in-server informers: what admission
 * plugins and authorizers read, so that several API servers on one store see
 * the same state, whoever wrote it. A watch that fails (compaction, a store
 * restart) is followed by a fresh list.
 */
import type { ResourceInfo } from "../../api/resources.js";
import type { Obj, ObjectEvent, ObjectStore } from "./object-store.js";

export interface WatchCacheOptions {
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export type CacheHandler = (type: ObjectEvent["type"], obj: Obj, old: Obj | undefined) => void;

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ""}/${name}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- T is a kubernetes-types kind; the cache only reads metadata
export class WatchCache<T = Obj> {
  private readonly items = new Map<string, T>();
  private readonly handlers: CacheHandler[] = [];
  private watcher?: { close(): void };
  private stopped = false;
  private syncedOnce?: Promise<void>;

  constructor(private readonly objects: ObjectStore, readonly info: ResourceInfo, private readonly options: WatchCacheOptions = {}) {}

  /** Resolves once the first list is in; later relists happen in the background. */
  start(): Promise<void> {
    this.syncedOnce ??= this.sync();
    return this.syncedOnce;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
  }

  /** Called for every change after the first list (and for each item of a relist that differs). */
  onChange(handler: CacheHandler): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(keyOf(namespace, name));
  }

  /**
   * The cached object, or the stored one when the cache has not seen it yet
   * (it was written a moment ago, perhaps through another server), as
   * upstream's admission plugins fall back to a live lookup.
   */
  async getFresh(namespace: string | undefined, name: string): Promise<T | undefined> {
    const cached = this.get(namespace, name);
    if (cached) return cached;
    try {
      return (await this.objects.get(this.info, namespace, name)) as T;
    } catch (err) {
      if ((err as { reason?: string }).reason === "NotFound") return undefined;
      throw err;
    }
  }

  list(namespace?: string): T[] {
    const all = [...this.items.values()];
    return namespace === undefined ? all : all.filter((o) => (o as Obj).metadata?.namespace === namespace);
  }

  private async sync(): Promise<void> {
    const listed = await this.objects.list(this.info, undefined);
    const seen = new Set<string>();
    for (const obj of listed.items) {
      const key = keyOf(obj.metadata.namespace, obj.metadata.name);
      seen.add(key);
      const old = this.items.get(key) as Obj | undefined;
      this.items.set(key, obj as T);
      if (!old) this.emit("ADDED", obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit("MODIFIED", obj, old);
    }
    for (const [key, old] of this.items) {
      if (!seen.has(key)) {
        this.items.delete(key);
        this.emit("DELETED", old as Obj, undefined);
      }
    }
    if (this.stopped) return;
    this.watcher = this.objects.watch(this.info, undefined, { labels: [], fields: [] }, Number(listed.resourceVersion), (e) => {
      const obj = e.object;
      const key = keyOf(obj.metadata.namespace, obj.metadata.name);
      const old = this.items.get(key) as Obj | undefined;
      if (e.type === "DELETED") this.items.delete(key);
      else this.items.set(key, obj as T);
      this.emit(e.type, obj, old);
    }, (err) => {
      if (this.stopped) return;
      this.options.log?.("watch cache relists", { resource: this.info.resource, err: String(err) });
      this.relist(200);
    });
  }

  /** Lists again after a pause, and keeps trying (with a longer pause) while the store fails. */
  private relist(delayMs: number): void {
    setTimeout(() => {
      if (this.stopped) return;
      void this.sync().catch((err) => {
        this.options.log?.("watch cache relist failed", { resource: this.info.resource, err: String(err) });
        this.relist(Math.min(delayMs * 2, 5000));
      });
    }, delayMs).unref();
  }

  private emit(type: ObjectEvent["type"], obj: Obj, old: Obj | undefined): void {
    for (const h of this.handlers) h(type, obj, old);
  }
}
