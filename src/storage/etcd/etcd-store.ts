import { Etcd3, type IKeyValue } from "etcd3";
import {
  type KeyValue, type ListOptions, type ListResult, type Store, type WatchHandlers,
  type Watcher, StoreError, checkRequestSize, prefixEnd,
} from "../store.js";

/**
 * The etcd v3 backend. etcd's revision is the resourceVersion, as upstream;
 * compare-and-swap is a transaction on the key's mod_revision.
 */
export class EtcdStore implements Store {
  private readonly client: Etcd3;

  constructor(endpoints: string[]) {
    this.client = new Etcd3({ hosts: endpoints });
  }

  private static kv(kv: IKeyValue, value?: Buffer): KeyValue {
    return {
      key: kv.key.toString(),
      value: valueText(value ?? kv.value),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private static mapError(err: unknown, revision: number): never {
    const msg = err instanceof Error ? err.message : String(err);
    if (/compacted/.test(msg)) throw new StoreError("Compacted", `required revision ${revision} has been compacted`);
    if (/future revision/.test(msg)) throw new StoreError("FutureRevision", `revision ${revision} is in the future`);
    throw err;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    return res.kvs[0] && EtcdStore.kv(res.kvs[0]);
  }

  /**
   * Reads in pages of at most PAGE keys at one revision, so that a large list
   * never exceeds gRPC's message limit and the result is still one snapshot.
   */
  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const PAGE = 1000;
    const end = Buffer.from(prefixEnd(prefix));
    let start = options.startKey && options.startKey > prefix ? options.startKey : prefix;
    let revision = options.revision ?? 0;
    const want = options.limit ?? 0;
    const items: KeyValue[] = [];
    try {
      for (;;) {
        const limit = want ? Math.min(PAGE, want - items.length) : PAGE;
        const res = await this.client.kv.range({ key: Buffer.from(start), range_end: end, limit, revision });
        if (!revision) revision = Number(res.header.revision);
        for (const kv of res.kvs) items.push(EtcdStore.kv(kv));
        const last = items[items.length - 1];
        if (!res.more || !last) return { items, revision, more: false };
        if (want && items.length >= want) return { items, revision, more: true };
        start = last.key + "\0";
      }
    } catch (err) {
      return EtcdStore.mapError(err, revision);
    }
  }

  async count(prefix: string, startKey?: string): Promise<number> {
    const res = await this.client.kv.range({
      key: Buffer.from(startKey && startKey > prefix ? startKey : prefix), range_end: Buffer.from(prefixEnd(prefix)), count_only: true,
    });
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    checkRequestSize(key, value);
    const k = Buffer.from(key);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: "Create", result: "Equal", create_revision: 0 }],
      success: [{ request_put: { key: k, value: valueBytes(value) } }],
    });
    if (!res.succeeded) throw new StoreError("KeyExists", `key ${key} already exists`);
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    checkRequestSize(key, value);
    const k = Buffer.from(key);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: "Mod", result: "Equal", mod_revision: expectedModRevision }],
      success: [{ request_put: { key: k, value: valueBytes(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) this.casFailure(key, res.responses[0]?.response_range.kvs[0], expectedModRevision);
    const prev = res.responses[0]!.response_put.prev_kv!;
    return { key, value, createRevision: Number(prev.create_revision), modRevision: Number(res.header.revision) };
  }

  private casFailure(key: string, current: IKeyValue | undefined, expected: number): never {
    if (!current) throw new StoreError("NotFound", `key ${key} not found`);
    throw new StoreError("Conflict", `key ${key} has revision ${current.mod_revision}, expected ${expected}`);
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = Buffer.from(key);
    const guard = expectedModRevision !== undefined
      ? { key: k, target: "Mod" as const, result: "Equal" as const, mod_revision: expectedModRevision }
      : { key: k, target: "Create" as const, result: "Greater" as const, create_revision: 0 };
    const res = await this.client.kv.txn({
      compare: [guard],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) this.casFailure(key, res.responses[0]?.response_range.kvs[0], expectedModRevision ?? 0);
    const prev = res.responses[0]!.response_delete_range.prev_kvs[0]!;
    return { ...EtcdStore.kv(prev), modRevision: Number(res.header.revision) };
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher {
    let closed = false;
    let cancel: (() => void) | undefined;
    const fail = (err: Error) => {
      if (closed) return;
      closed = true;
      cancel?.();
      handlers.onError(err);
    };
    const start = async () => {
      // etcd reports a compacted start revision by cancelling the watch without a
      // clear reason, so the range read below turns it into Compacted first.
      const current = await this.currentRevision();
      if (fromRevision < current) await this.list(prefix, { revision: fromRevision + 1, limit: 1 });
      if (closed) return;
      const w = await this.client.watch().prefix(prefix).withPreviousKV().startRevision(String(fromRevision + 1)).create();
      cancel = () => void w.cancel().catch(() => undefined);
      if (closed) return cancel();
      w.on("put", (kv, prev) => {
        if (closed) return;
        const event = EtcdStore.kv(kv);
        if (kv.create_revision === kv.mod_revision) handlers.onEvent({ type: "ADDED", kv: event });
        else handlers.onEvent({ type: "MODIFIED", kv: event, prevKv: prev && EtcdStore.kv(prev) });
      });
      w.on("delete", (kv, prev) => {
        if (closed) return;
        const last = prev ? EtcdStore.kv(prev) : EtcdStore.kv(kv);
        handlers.onEvent({ type: "DELETED", kv: { ...last, modRevision: Number(kv.mod_revision) }, prevKv: last });
      });
      w.on("error", (err) => fail(err));
    };
    start().catch((err) => {
      try {
        EtcdStore.mapError(err, fromRevision + 1);
      } catch (mapped) {
        fail(mapped as Error);
      }
    });
    return { close: () => { closed = true; cancel?.(); } };
  }

  async currentRevision(): Promise<number> {
    const res = await this.client.kv.range({ key: Buffer.from("/"), limit: 1, count_only: true });
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      await this.client.kv.compact({ revision, physical: true });
    } catch (err) {
      if (!/compacted/.test(String(err))) throw err;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/**
 * An encrypted value (storage/encryption) is a binary string, one character a
 * byte: it goes to etcd as those bytes, byte for byte upstream's stored form,
 * not as UTF-8 (which would inflate it past etcd's request limit). The
 * prefix is ASCII, so it tells the two apart on the way back.
 */
const ENCRYPTED_PREFIX = "k8s:enc:";

function valueBytes(value: string): Buffer {
  return Buffer.from(value, value.startsWith(ENCRYPTED_PREFIX) ? "latin1" : "utf8");
}

function valueText(bytes: Buffer): string {
  return bytes.toString(bytes.subarray(0, ENCRYPTED_PREFIX.length).toString("latin1") === ENCRYPTED_PREFIX ? "latin1" : "utf8");
}
