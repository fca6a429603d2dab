/**
 * The Store is Skiff's MVCC key-value contract, shaped after etcd v3 and the
 * apiserver's storage.Interface. Every write gets a new global revision; the
 * revision of an object's last write is its resourceVersion.
 */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (its current incarnation). */
  createRevision: number;
  /** Revision of the last write to this key; for a deletion event, the deletion's revision. */
  modRevision: number;
  /**
   * Set by an encrypting layer when the value was read through a transformer
   * other than the one writes use (an old key, or identity): rewriting it
   * unchanged would still change the stored bytes, so a no-op update must write.
   */
  stale?: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  type: WatchEventType;
  /** For DELETED: the last value, with modRevision set to the deletion's revision. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** Read as of this revision; 0 or absent means the current one. */
  revision?: number;
  /** At most this many items; 0 or absent means all. */
  limit?: number;
  /** First key to return (inclusive), for continuing a paged list. */
  startKey?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when items remain after the last one returned. */
  more: boolean;
}

export interface Watcher {
  close(): void;
}

export interface WatchHandlers {
  onEvent(event: WatchEvent): void;
  /** Called once when the watch cannot go on (compacted, closed store); no event follows. */
  onError(err: Error): void;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Number of keys under a prefix at the current revision, from startKey (inclusive) when given. */
  count(prefix: string, startKey?: string): Promise<number>;
  /** Fails with KeyExists when the key is present. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Fails with NotFound when absent and Conflict when modRevision differs from expected. */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Removes a key and returns its last value with modRevision set to the deletion's revision.
   * With expectedModRevision the delete is guarded like update.
   */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Delivers every change under prefix after fromRevision (exclusive), in revision order,
   * then live changes. A fromRevision older than the compacted revision fails with Compacted.
   */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watcher;
  currentRevision(): Promise<number>;
  /** Forgets history older than revision; watches and lists before it fail with Compacted. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export type StoreErrorCode = "KeyExists" | "NotFound" | "Conflict" | "Compacted" | "FutureRevision" | "RequestTooLarge";

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly currentRevision?: number,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export function isStoreError(err: unknown, code: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && err.code === code;
}

/** The end of the key range that holds every key starting with prefix. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The largest write a store takes: etcd's default --max-request-bytes (1.5 MiB),
 * applied to SQLite too, so that an object that one backend stores the other
 * would not refuse later (on a move to etcd, or to a second API server).
 */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/** Refuses a write over MAX_REQUEST_BYTES with etcd's own message. */
export function checkRequestSize(key: string, value: string): void {
  // An encrypted value is a binary string (one character a byte, see storage/encryption): counted as the bytes upstream would store.
  const valueBytes = value.startsWith("k8s:enc:") ? value.length : Buffer.byteLength(value);
  if (Buffer.byteLength(key) + valueBytes > MAX_REQUEST_BYTES) {
    throw new StoreError("RequestTooLarge", "etcdserver: request is too large");
  }
}
