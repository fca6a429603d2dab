import assert from "node:assert/strict";
import { it } from "node:test";
import { MAX_ENDPOINTS_PER_SLICE, packSlices } from "./endpoints-controller.js";

const ep = (i: number) => ({ addresses: [`10.244.${i >> 8}.${i & 255}`], targetRef: { uid: `pod-${i}` } });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ep(from + k));

it("splits 250 endpoints into slices of 100, 100 and 50", () => {
  const plan = packSlices([], range(0, 250));
  assert.deepEqual(plan.map((p) => p.endpoints.length), [100, 100, 50]);
  assert.equal(MAX_ENDPOINTS_PER_SLICE, 100);
});

it("keeps endpoints in the slices that hold them, fills gaps first, and empties slices whose endpoints went", () => {
  const a = { metadata: { name: "web-a" }, endpoints: range(0, 100) };
  const b = { metadata: { name: "web-b" }, endpoints: range(100, 150) };
  // Ten of a's endpoints go, all of b's go, and twenty new ones come.
  const plan = packSlices([a, b], [...range(10, 100), ...range(300, 320)]);
  assert.equal(plan[0]!.slice, a);
  assert.deepEqual(plan[0]!.endpoints.slice(0, 90), range(10, 100), "a keeps its own, in place");
  assert.deepEqual(plan[0]!.endpoints.slice(90), range(300, 310), "then fills up to 100");
  assert.equal(plan[1]!.slice, b);
  assert.deepEqual(plan[1]!.endpoints, range(310, 320));
  assert.equal(plan.length, 2);
});

it("keeps one slice for a Service without endpoints", () => {
  assert.deepEqual(packSlices([], []), [{ endpoints: [] }]);
  const only = { metadata: { name: "web-a" }, endpoints: range(0, 3) };
  assert.deepEqual(packSlices([only], []), [{ slice: only, endpoints: [] }]);
});
