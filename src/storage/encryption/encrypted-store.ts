import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchHandlers, Watcher } from "../store.js";
import type { EncryptionRule } from "./encryption-config.js";
import type { Transformer } from "./transformer.js";

/**
 * A Store that encrypts the values of keys under its rules' prefixes, the
 * apiserver's storage transformers as a layer around any backend. Writes go
 * through a rule's first transformer; reads try every transformer whose prefix
 * the value starts with, in order. A value read through any but the first is
 * marked stale (KeyValue.stale), so a no-op update rewrites it: that is how
 * secrets move to a new key after the configuration changes.
 *
 * Encrypted values are held as binary strings (one character per byte after
 * the prefix), which both backends keep exactly.
 */
export class EncryptedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly rules: EncryptionRule[],
  ) {}

  /** The first rule covering key, as upstream's first matching resources entry. */
  private transformersFor(key: string): Transformer[] | undefined {
    return this.rules.find((r) => r.prefixes.some((p) => key.startsWith(p)))?.transformers;
  }

  private seal(key: string, value: string): string {
    const t = this.transformersFor(key)?.[0];
    if (!t || t.prefix === "") return value;
    return t.prefix + t.toStorage(Buffer.from(value, "utf8"), key).toString("latin1");
  }

  private open(kv: KeyValue): KeyValue {
    const transformers = this.transformersFor(kv.key);
    if (!transformers) return kv;
    const errors: string[] = [];
    for (const [i, t] of transformers.entries()) {
      if (!kv.value.startsWith(t.prefix)) continue;
      try {
        const value = t.prefix === ""
          ? t.fromStorage(Buffer.from(kv.value, "utf8"), kv.key).toString("utf8")
          : t.fromStorage(Buffer.from(kv.value.slice(t.prefix.length), "latin1"), kv.key).toString("utf8");
        return i === 0 ? { ...kv, value } : { ...kv, value, stale: true };
      } catch (err) {
        errors.push(`${t.prefix || "identity"}: ${(err as Error).message}`);
      }
    }
    // The message names the key and the providers tried, never the data.
    throw new Error(`unable to transform the stored value of ${kv.key} from storage: ${errors.length ? errors.join("; ") : "no matching prefix found"}`);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = await this.inner.get(key);
    return kv && this.open(kv);
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const result = await this.inner.list(prefix, options);
    return { ...result, items: result.items.map((kv) => this.open(kv)) };
  }

  count(prefix: string, startKey?: string): Promise<number> {
    return this.inner.count(prefix, startKey);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    return { ...(await this.inner.create(key, this.seal(key, value))), value };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return { ...(await this.inner.update(key, this.seal(key, value), expectedModRevision)), value };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    return this.open(await this.inner.delete(key, expectedModRevision));
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    let failed = false;
    // A backend may deliver history before watch() returns, so the handle is read later.
    let watcher: Watcher | undefined = undefined;
    watcher = this.inner.watch(prefix, fromRevision, {
      onEvent: (event) => {
        if (failed) return;
        let open: WatchEvent;
        try {
          open = { type: event.type, kv: this.open(event.kv), ...(event.prevKv ? { prevKv: this.open(event.prevKv) } : {}) };
        } catch (err) {
          // A value that cannot be read ends the watch, as it would end a list: the client relists and sees the error.
          failed = true;
          queueMicrotask(() => watcher?.close());
          handlers.onError(err as Error);
          return;
        }
        handlers.onEvent(open);
      },
      onError: (err) => { if (!failed) handlers.onError(err); },
    });
    return { close: () => watcher?.close() };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
