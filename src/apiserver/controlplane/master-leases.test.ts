import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SqliteStore } from "../../storage/index.js";
import { MASTER_LEASES_PREFIX, MasterLeases } from "./master-leases.js";

async function setup() {
  const store = new SqliteStore(":memory:");
  let now = Date.parse("2026-12-01T10:00:00Z");
  const clock = { now: () => now, advance: (ms: number) => { now += ms; } };
  return {
    store, clock,
    leases: (ttlMs = 15_000) => new MasterLeases({ store, ttlMs, now: clock.now }),
    async [Symbol.asyncDispose]() { await store.close(); },
  };
}

describe("MasterLeases", () => {
  it("lists the addresses of live leases, sorted", async () => {
    await using t = await setup();
    const leases = t.leases();
    for (const ip of ["10.0.0.9", "10.0.0.10", "10.0.0.1"]) await leases.update(ip);
    assert.deepEqual(await leases.list(), ["10.0.0.1", "10.0.0.10", "10.0.0.9"]);
  });

  it("stops listing a lease once it expired unrenewed, and removes it", async () => {
    await using t = await setup();
    const a = t.leases();
    await a.update("10.0.0.1");
    await a.update("10.0.0.2");
    t.clock.advance(10_000);
    await a.update("10.0.0.1"); // renewed; 10.0.0.2's server died
    t.clock.advance(6_000);
    assert.deepEqual(await a.list(), ["10.0.0.1"]);
    assert.equal(await t.store.get(`${MASTER_LEASES_PREFIX}10.0.0.2`), undefined);
    assert.ok(await t.store.get(`${MASTER_LEASES_PREFIX}10.0.0.1`));
  });

  it("removes a lease at once, and takes a removal of what is absent", async () => {
    await using t = await setup();
    const leases = t.leases();
    await leases.update("10.0.0.1");
    await leases.remove("10.0.0.1");
    await leases.remove("10.0.0.1");
    assert.deepEqual(await leases.list(), []);
  });

  it("refreshes by rewriting, in upstream's Endpoints shape", async () => {
    await using t = await setup();
    const leases = t.leases();
    await leases.update("10.0.0.1");
    await leases.update("10.0.0.1");
    const stored = JSON.parse((await t.store.get(`${MASTER_LEASES_PREFIX}10.0.0.1`))!.value);
    assert.equal(stored.kind, "Endpoints");
    assert.equal(stored.metadata.generation, 2);
    assert.deepEqual(stored.subsets, [{ addresses: [{ ip: "10.0.0.1" }] }]);
  });
});
