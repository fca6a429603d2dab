import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SqliteStore, isStoreError, type Store } from "../../storage/index.js";
import { AllocationError, RangeAllocator, nodePortRange } from "./allocator.js";
import { StorageAllocator } from "./storage-allocator.js";

const KEY = "/registry/ranges/servicenodeports";
const spec = nodePortRange(30000, 30199);

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = new SqliteStore(":memory:");
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Two servers' allocators on one store, the record created as the repair would. */
async function twoServers(store: Store): Promise<[StorageAllocator, StorageAllocator]> {
  const a = new StorageAllocator(store, KEY, "servicenodeportallocations", spec);
  const b = new StorageAllocator(store, KEY, "servicenodeportallocations", spec);
  await a.write(a.newAllocator(), 0);
  return [a, b];
}

const reasonOf = async (p: Promise<unknown>) => p.then(() => undefined, (err) => (err instanceof AllocationError ? err.reason : String(err)));

describe("StorageAllocator", () => {
  it("refuses to allocate before the record exists, as upstream", () => withStore(async (store) => {
    const a = new StorageAllocator(store, KEY, "servicenodeportallocations", spec);
    await assert.rejects(a.allocateNext(), /cannot allocate resources of type servicenodeportallocations at this time/);
  }));

  it("never hands out a value twice across servers allocating at once", () => withStore(async (store) => {
    const [a, b] = await twoServers(store);
    const handed = await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).allocateNext()));
    assert.equal(new Set(handed).size, handed.length);
    const stored = await a.read();
    assert.deepEqual([...stored!.allocator.values()].sort(), [...handed].sort((x, y) => x - y));
  }));

  it("refuses a value another server took, though its own copy is older", () => withStore(async (store) => {
    const [a, b] = await twoServers(store);
    await a.allocate(30007); // a's copy is now current
    await b.allocate(30008); // a's copy is stale
    assert.equal(await reasonOf(a.allocate(30008)), "allocated");
    assert.equal(await reasonOf(b.allocate(30007)), "allocated");
  }));

  it("takes a value another server released, though its own copy still has it taken", () => withStore(async (store) => {
    const [a, b] = await twoServers(store);
    await a.allocate(30009);
    await b.release([30009]);
    await a.allocate(30009);
    assert.equal((await b.read())!.allocator.has(30009), true);
  }));

  it("writes nothing for a release of what is not taken", () => withStore(async (store) => {
    const [a] = await twoServers(store);
    const before = await store.currentRevision();
    await a.release([30001, 30002]);
    assert.equal(await store.currentRevision(), before);
  }));

  it("answers has() from storage, for dry runs", () => withStore(async (store) => {
    const [a, b] = await twoServers(store);
    await b.allocate(30100);
    assert.equal(await a.has(30100), true);
    assert.equal(await a.has(30101), false);
  }));

  it("refuses a record of another range until the repair rewrites it", () => withStore(async (store) => {
    const other = new StorageAllocator(store, KEY, "servicenodeportallocations", nodePortRange(31000, 31099));
    await other.write(other.newAllocator(), 0);
    const a = new StorageAllocator(store, KEY, "servicenodeportallocations", spec);
    await assert.rejects(a.allocateNext(), /at this time/);
    const stored = await a.read();
    assert.equal(stored!.range, "31000-31099");
    await a.write(new RangeAllocator(spec), stored!.revision);
    assert.ok((await a.allocateNext()) >= 30000);
  }));

  it("fails a guarded write that another writer overtook", () => withStore(async (store) => {
    const [a, b] = await twoServers(store);
    const read = await a.read();
    await b.allocate(30003);
    await assert.rejects(a.write(read!.allocator, read!.revision), (err) => isStoreError(err, "Conflict"));
  }));
});
