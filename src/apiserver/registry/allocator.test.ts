import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AllocationError, RangeAllocator, ipToNumber, nodePortRange, numberToIp, serviceIPRange } from "./allocator.js";

/** A seeded generator (mulberry32), so a failing case replays. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const reasonOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { return err instanceof AllocationError ? err.reason : "other"; }
  return undefined;
};

describe("ranges", () => {
  for (const [cidr, first, last, band] of [
    ["10.96.0.0/16", "10.96.0.1", "10.96.255.254", 256],
    ["10.0.0.0/24", "10.0.0.1", "10.0.0.254", 16],
    ["10.0.0.0/28", "10.0.0.1", "10.0.0.14", 0],
    ["10.0.0.0/20", "10.0.0.1", "10.0.15.254", 256],
  ] as const) {
    it(`${cidr}: hosts ${first} to ${last}, a static band of ${band}`, () => {
      const spec = serviceIPRange(cidr);
      assert.equal(numberToIp(spec.first), first);
      assert.equal(numberToIp(spec.first + spec.size - 1), last);
      assert.equal(spec.staticBand, band);
      assert.equal(spec.range, cidr);
    });
  }

  it("node ports 30000-32767 keep upstream's static band of 86", () => {
    assert.deepEqual(nodePortRange(30000, 32767), { first: 30000, size: 2768, range: "30000-32767", staticBand: 86 });
  });

  it("reads and writes dotted quads", () => {
    assert.equal(numberToIp(ipToNumber("10.96.0.10")!), "10.96.0.10");
    for (const bad of ["10.96.0", "10.96.0.256", "a.b.c.d", "", "None"]) assert.equal(ipToNumber(bad), undefined, bad);
  });
});

describe("RangeAllocator", () => {
  const spec = nodePortRange(30000, 30099);

  it("takes a value once, refuses it then, and takes it again once released", () => {
    const a = new RangeAllocator(spec);
    a.allocate(30010);
    assert.equal(a.has(30010), true);
    assert.equal(reasonOf(() => a.allocate(30010)), "allocated");
    a.release(30010);
    assert.equal(a.has(30010), false);
    a.allocate(30010);
    assert.equal(a.count(), 1);
  });

  for (const value of [29999, 30100, 30010.5, -1]) {
    it(`refuses ${value} as out of range`, () => {
      assert.equal(reasonOf(() => new RangeAllocator(spec).allocate(value)), "notInRange");
    });
  }

  it("hands out values above the static band while it has room, then the band, then says full", () => {
    const a = new RangeAllocator(spec, seeded(1));
    const handed = Array.from({ length: spec.size }, () => a.allocateNext());
    assert.equal(new Set(handed).size, spec.size, "no value twice");
    const firstDynamic = handed.slice(0, spec.size - spec.staticBand);
    assert.ok(firstDynamic.every((v) => v >= spec.first + spec.staticBand), "the band comes last");
    assert.equal(reasonOf(() => a.allocateNext()), "full");
  });

  it("finds the last free value of a nearly full range", () => {
    const a = new RangeAllocator(serviceIPRange("10.96.0.0/16"), seeded(7));
    for (let v = a.spec.first; v < a.spec.first + a.spec.size; v++) if (v !== a.spec.first + 40_000) a.allocate(v);
    assert.equal(a.allocateNext(), a.spec.first + 40_000);
    assert.equal(reasonOf(() => a.allocateNext()), "full");
  });

  it("survives a snapshot and restore, in upstream's big-endian bytes", () => {
    const a = new RangeAllocator(spec);
    for (const v of [30000, 30001, 30009, 30099]) a.allocate(v);
    const b = new RangeAllocator(spec);
    b.restore(a.snapshot());
    assert.deepEqual([...b.values()], [30000, 30001, 30009, 30099]);
    assert.equal(b.count(), 4);
    // Offsets 0, 1 and 9 set: the integer 0b10_0000_0011 = 0x0203, two bytes with the top one first.
    const small = new RangeAllocator(spec);
    for (const v of [30000, 30001, 30009]) small.allocate(v);
    assert.deepEqual([...Buffer.from(small.snapshot(), "base64")], [0x02, 0x03]);
    assert.equal(new RangeAllocator(spec).snapshot(), "");
  });

  it("takes a snapshot without changing itself", () => {
    const a = new RangeAllocator(spec);
    a.allocate(30001);
    a.allocate(30050);
    const once = a.snapshot();
    assert.equal(a.snapshot(), once);
    assert.deepEqual([...a.values()], [30001, 30050]);
  });

  it("drops bits beyond the range on restore", () => {
    const a = new RangeAllocator(nodePortRange(30000, 30009));
    a.restore(Buffer.from([0xff, 0xff]).toString("base64"));
    assert.equal(a.count(), 10);
  });

  it("is unchanged by what is done to a clone", () => {
    const a = new RangeAllocator(spec);
    a.allocate(30005);
    const c = a.clone();
    c.allocate(30006);
    c.release(30005);
    assert.deepEqual([...a.values()], [30005]);
  });
});
