/**
 * An informer: list, then watch from the list's resourceVersion, keeping a
 * local cache indexed by namespace; handlers hear every add, update and
 * delete. A watch that ends is resumed from the last revision seen; a 410
 * (Expired) forces a fresh list, whose differences reach the handlers.
 */
import { ApiError } from "../api/errors.js";
import { matchesLabels, parseLabelSelector } from "../api/selectors.js";
import type { Client, KubeObject, ResourceRef, WatchEventOf } from "./client.js";

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

const keyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata.name));

export class Informer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion = "";
  private synced!: () => void;
  /** Resolves once the first list is in the cache. */
  readonly hasSynced: Promise<void> = new Promise((r) => (this.synced = r));

  constructor(
    private readonly client: Client,
    private readonly resource: ResourceRef,
    private readonly options: { namespace?: string; labelSelector?: string; fieldSelector?: string; relistBackoffMs?: number } = {},
  ) {}

  addEventHandler(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    for (const obj of this.items.values()) h.add?.(obj);
  }

  /** The cached object for `namespace/name` (or `name`). */
  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Cached objects, optionally in one namespace and matching a label selector. */
  list(namespace?: string, labelSelector = ""): T[] {
    const reqs = parseLabelSelector(labelSelector);
    const keys = namespace === undefined ? [...this.items.keys()] : [...(this.byNamespace.get(namespace) ?? [])];
    return keys.map((k) => this.items.get(k)!).filter((o) => matchesLabels(reqs, o.metadata.labels));
  }

  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  private put(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    const ns = obj.metadata.namespace ?? "";
    if (!this.byNamespace.has(ns)) this.byNamespace.set(ns, new Set());
    this.byNamespace.get(ns)!.add(key);
    return old;
  }

  private remove(obj: T): void {
    const key = keyOf(obj);
    this.items.delete(key);
    this.byNamespace.get(obj.metadata.namespace ?? "")?.delete(key);
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.resource, this.options.namespace, { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector });
    const seen = new Set<string>();
    for (const item of list.items) {
      item.apiVersion ??= this.resource.group ? `${this.resource.group}/${this.resource.version}` : this.resource.version;
      seen.add(keyOf(item));
      const old = this.put(item);
      for (const h of this.handlers) {
        if (!old) h.add?.(item);
        else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) h.update?.(old, item);
      }
    }
    for (const [key, obj] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(obj);
      for (const h of this.handlers) h.delete?.(obj);
    }
    this.resourceVersion = list.metadata.resourceVersion;
  }

  private onEvent(e: WatchEventOf<T>): void {
    if (e.type === "ERROR") {
      const status = e.object as unknown as { code?: number; message?: string };
      throw new ApiError(status.code ?? 500, status.code === 410 ? "Expired" : "InternalError", status.message ?? "watch error");
    }
    this.resourceVersion = String(e.object.metadata.resourceVersion ?? this.resourceVersion);
    if (e.type === "BOOKMARK") return;
    if (e.type === "DELETED") {
      this.remove(e.object);
      for (const h of this.handlers) h.delete?.(e.object);
      return;
    }
    const old = this.put(e.object);
    for (const h of this.handlers) {
      if (old) h.update?.(old, e.object);
      else h.add?.(e.object);
    }
  }

  /** Lists and watches until signal aborts. Errors other than a stale revision are retried after a pause. */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          this.synced();
        }
        await this.client.watch<T>(this.resource, this.options.namespace, {
          labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector,
          resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        }, (e) => this.onEvent(e), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && (err.code === 410 || err.reason === "Expired")) {
          needList = true;
          continue;
        }
        needList = true;
        await new Promise((r) => setTimeout(r, this.options.relistBackoffMs ?? 1000));
      }
    }
  }
}
