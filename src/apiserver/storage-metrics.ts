/**
 * etcd_request_duration_seconds and etcd_request_errors_total around whichever Store backs the server (SQLite
 * as well as etcd: the names are upstream's for its storage layer, whatever
 * is under it), labelled with upstream's operation and the object type.
 */
import type { ListOptions, Store, WatchHandlers } from "../storage/index.js";
import type { ApiMetrics } from "./metrics.js";

/**
 * typeOf names a key's object type as upstream's groupResource.String():
 * "pods", "deployments.apps".
 */
export function instrumentStore(store: Store, metrics: ApiMetrics, typeOf: (key: string) => string): Store {
  const timed = async <T>(operation: string, key: string, call: () => Promise<T>): Promise<T> => {
    const labels = { operation, type: typeOf(key) };
    const started = performance.now();
    try {
      return await call();
    } catch (err) {
      metrics.etcdErrors.inc(labels);
      throw err;
    } finally {
      // Its count is also the number of requests: upstream's etcd_requests_total is left out as a duplicate.
      metrics.etcdLatency.observe(labels, (performance.now() - started) / 1000);
    }
  };
  return {
    get: (key: string) => timed("get", key, () => store.get(key)),
    list: (prefix: string, options?: ListOptions) => timed("list", prefix, () => store.list(prefix, options)),
    count: (prefix: string, startKey?: string) => timed("listWithCount", prefix, () => store.count(prefix, startKey)),
    create: (key: string, value: string) => timed("create", key, () => store.create(key, value)),
    update: (key: string, value: string, rev: number) => timed("update", key, () => store.update(key, value, rev)),
    delete: (key: string, rev?: number) => timed("delete", key, () => store.delete(key, rev)),
    watch: (prefix: string, from: number, handlers: WatchHandlers) => store.watch(prefix, from, handlers),
    currentRevision: () => store.currentRevision(),
    compact: (revision: number) => store.compact(revision),
    close: () => store.close(),
  };
}

/**
 * The object type of a storage key from the resources' storage prefixes
 * (`/registry/deployments/ns/name` is "deployments.apps"); keys of no
 * resource (allocations, master leases) are named by their first segment.
 */
export function storageTypes(prefixes: () => Iterable<{ storagePrefix: string; resource: string; group: string }>): (key: string) => string {
  let known = new Map<string, string>();
  const refresh = () => {
    known = new Map();
    for (const r of prefixes()) known.set(r.storagePrefix, r.group ? `${r.resource}.${r.group}` : r.resource);
  };
  const seen = new Map<string, string>();
  return (key) => {
    // Prefixes are /registry/<resource> or /registry/<group>/<resource>: try the longer first.
    const parts = key.split("/");
    const candidates = [parts.slice(0, 4).join("/"), parts.slice(0, 3).join("/")];
    const cached = seen.get(candidates[0]!) ?? seen.get(candidates[1]!);
    if (cached) return cached;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const c of candidates) {
        const t = known.get(c);
        if (t) { seen.set(c, t); return t; }
      }
      refresh();
    }
    const fallback = parts[2] ?? "";
    seen.set(candidates[0]!, fallback);
    return fallback;
  };
}
