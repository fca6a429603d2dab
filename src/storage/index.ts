import { join } from "node:path";
import { EtcdStore } from "./etcd/etcd-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export * from "./store.js";
export * from "./encryption/index.js";
export { SqliteStore, EtcdStore };

/**
 * Opens the datastore a server was told to use: etcd when an http(s) endpoint is
 * given (comma-separated for several members), else SQLite in the data directory.
 */
export function openStore(options: { dataDir: string; datastoreEndpoint?: string }): Store {
  const endpoint = options.datastoreEndpoint;
  if (!endpoint || endpoint.startsWith("sqlite://")) {
    const path = endpoint ? endpoint.slice("sqlite://".length) : join(options.dataDir, "state.db");
    return new SqliteStore(path);
  }
  if (/^https?:\/\//.test(endpoint)) return new EtcdStore(endpoint.split(","));
  throw new Error(`unsupported --datastore-endpoint ${JSON.stringify(endpoint)}: want http(s)://host:port for etcd or sqlite://path`);
}
