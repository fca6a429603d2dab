import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isExtendedResourceName, nodeResources, sameResources } from "./node-allocatable.js";

describe("node allocatable", () => {
  const measured = { capacity: { cpu: "4", memory: "8Gi", pods: "110" }, allocatable: { cpu: "4", memory: "7Gi", pods: "110" } };

  it("makes an extended resource advertised in capacity allocatable, and keeps the kubelet's own reserves", () => {
    const { capacity, allocatable, removed } = nodeResources({ capacity: { cpu: "2", "example.com/widget": "1k" }, allocatable: { cpu: "2" } }, measured);
    assert.deepEqual(capacity, { cpu: "4", memory: "8Gi", pods: "110", "example.com/widget": "1k" }, "the kubelet's measurements win, others' entries stay");
    assert.deepEqual(allocatable, { cpu: "4", memory: "7Gi", pods: "110", "example.com/widget": "1k" });
    assert.deepEqual(removed, []);
  });

  it("takes an extended resource out of allocatable once it has left capacity", () => {
    const { allocatable, removed } = nodeResources({ capacity: { cpu: "4" }, allocatable: { cpu: "4", "example.com/widget": "3", "hugepages-1Gi": "0" } }, measured);
    assert.equal(allocatable["example.com/widget"], undefined);
    assert.deepEqual(removed, ["example.com/widget"], "only extended resources are taken out");
  });

  it("tells extended resources from native ones", () => {
    assert.equal(isExtendedResourceName("example.com/fakecpu"), true);
    assert.equal(isExtendedResourceName("nvidia.com/gpu"), true);
    assert.equal(isExtendedResourceName("cpu"), false);
    assert.equal(isExtendedResourceName("kubernetes.io/batteries"), false);
    assert.equal(isExtendedResourceName("node.kubernetes.io/thing"), false);
    assert.equal(isExtendedResourceName("requests.example.com/gpu"), false);
  });

  it("compares amounts, not spellings", () => {
    assert.equal(sameResources({ a: "1k", b: "2" }, { b: "2", a: "1000" }), true);
    assert.equal(sameResources({ a: "1k" }, { a: "1k", b: "1" }), false);
    assert.equal(sameResources({ a: "1k" }, { a: "999" }), false);
    assert.equal(sameResources(undefined, {}), true);
  });
});
