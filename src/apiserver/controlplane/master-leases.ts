/**
 * Upstream's master leases (`--endpoint-reconciler-type=lease`): each API
 * server keeps a key `/registry/masterleases/<ip>` for the address it
 * advertises, refreshed well before it expires. etcd gives upstream's keys
 * a TTL; Skiff's store has none, so the value says when it expires and a
 * lease past that is treated as gone (and removed by whoever lists it).
 *
 * The value is the Endpoints upstream stores there, with the expiry in an
 * annotation.
 */
import type { Endpoints } from "kubernetes-types/core/v1.js";
import { isStoreError, type Store } from "../../storage/index.js";

export const MASTER_LEASES_PREFIX = "/registry/masterleases/";
export const LEASE_EXPIRES_ANNOTATION = "skiff.dev/lease-expires";

/** Upstream's DefaultEndpointReconcilerTTL. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

export interface MasterLeasesOptions {
  store: Store;
  ttlMs?: number;
  now?: () => number;
}

export class MasterLeases {
  private readonly store: Store;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: MasterLeasesOptions) {
    this.store = options.store;
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Writes or refreshes the lease of ip for another TTL. */
  async update(ip: string): Promise<void> {
    const key = MASTER_LEASES_PREFIX + ip;
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      const generation = kv ? ((JSON.parse(kv.value) as Endpoints).metadata?.generation ?? 0) + 1 : 1;
      const lease: Endpoints = {
        kind: "Endpoints", apiVersion: "v1",
        metadata: { name: ip, generation, annotations: { [LEASE_EXPIRES_ANNOTATION]: new Date(this.now() + this.ttlMs).toISOString() } },
        subsets: [{ addresses: [{ ip }] }],
      };
      try {
        if (kv) await this.store.update(key, JSON.stringify(lease), kv.modRevision);
        else await this.store.create(key, JSON.stringify(lease));
        return;
      } catch (err) {
        // Another writer of the same address (a restart racing its old self): try again on what it wrote.
        const raced = isStoreError(err, "Conflict") || isStoreError(err, "KeyExists") || isStoreError(err, "NotFound");
        if (!raced || attempt >= 4) throw err;
      }
    }
  }

  /** Removes the lease of ip; absent is fine. */
  async remove(ip: string): Promise<void> {
    try {
      await this.store.delete(MASTER_LEASES_PREFIX + ip);
    } catch (err) {
      if (!isStoreError(err, "NotFound")) throw err;
    }
  }

  /** The addresses with a live lease, in the store's key order (sorted); expired leases are removed on the way. */
  async list(): Promise<string[]> {
    const { items } = await this.store.list(MASTER_LEASES_PREFIX);
    const now = this.now();
    const live: string[] = [];
    for (const kv of items) {
      const lease = JSON.parse(kv.value) as Endpoints;
      const expires = Date.parse(lease.metadata?.annotations?.[LEASE_EXPIRES_ANNOTATION] ?? "");
      if (expires > now) {
        live.push(kv.key.slice(MASTER_LEASES_PREFIX.length));
        continue;
      }
      // Guarded by the revision read: a server that refreshed its lease meanwhile keeps it, and is live.
      try {
        await this.store.delete(kv.key, kv.modRevision);
      } catch (err) {
        if (isStoreError(err, "Conflict")) live.push(kv.key.slice(MASTER_LEASES_PREFIX.length));
        else if (!isStoreError(err, "NotFound")) throw err;
      }
    }
    return live.sort();
  }
}
