import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PodIPAllocator } from "./pod-ip-allocator.js";

describe("PodIPAllocator", () => {
  it("hands each pod its own address of the range, past the network and node addresses, short of broadcast", () => {
    const a = new PodIPAllocator("10.244.3.0/24");
    assert.equal(a.gateway, "10.244.3.1");
    const ips = Array.from({ length: 253 }, (_, i) => a.allocate(`pod-${i}`));
    assert.equal(new Set(ips).size, 253, "no address twice");
    assert.equal(ips[0], "10.244.3.2");
    assert.equal(ips[252], "10.244.3.254");
    assert.equal(a.allocate("one-too-many"), undefined, "a full range hands out nothing");
    assert.equal(a.allocate("pod-7"), ips[7], "a pod keeps its address");
  });

  it("frees an address on release, and hands out others before reusing it", () => {
    const a = new PodIPAllocator("10.244.0.0/29");
    const first = a.allocate("a");
    a.allocate("b");
    a.release("a");
    assert.equal(a.allocated, 1);
    assert.deepEqual(["c", "d", "e"].map((p) => a.allocate(p)), ["10.244.0.4", "10.244.0.5", "10.244.0.6"]);
    assert.equal(a.allocate("f"), first, "the freed address comes round again");
    assert.equal(a.allocate("g"), undefined);
  });

  it("rebuilds from the addresses pods hold, refusing one held twice or out of range", () => {
    const a = new PodIPAllocator("10.244.1.0/24");
    assert.equal(a.reserve("old-1", "10.244.1.2"), true);
    assert.equal(a.reserve("old-2", "10.244.1.3"), true);
    assert.equal(a.reserve("old-1", "10.244.1.2"), true, "again for the same pod: fine");
    assert.equal(a.reserve("dup", "10.244.1.3"), false);
    assert.equal(a.reserve("elsewhere", "10.244.2.9"), false);
    assert.equal(a.reserve("gateway", "10.244.1.1"), false);
    assert.equal(a.allocate("new"), "10.244.1.4");
  });

  it("refuses a range that is not an IPv4 CIDR", () => {
    for (const bad of ["10.244.0.0", "10.244.0.0/31", "fd00::/64", "10.300.0.0/24"]) assert.throws(() => new PodIPAllocator(bad), /is not an IPv4 CIDR/, bad);
  });
});
