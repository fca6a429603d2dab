import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyJsonPatch } from "./json-patch.js";
import { applyMergePatch } from "./merge-patch.js";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";

const pod = () => ({
  metadata: { name: "p", labels: { app: "web", tier: "front" }, finalizers: ["a"] },
  spec: {
    containers: [
      { name: "a", image: "a:1", env: [{ name: "X", value: "1" }, { name: "Y", value: "2" }], ports: [{ containerPort: 80 }], args: ["x", "y"] },
      { name: "b", image: "b:1" },
    ],
    volumes: [{ name: "v", emptyDir: {} }],
    tolerations: [{ key: "k" }],
  },
});

describe("JSON merge patch", () => {
  it("merges objects, deletes nulls and replaces lists", () => {
    assert.deepEqual(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
    assert.deepEqual(applyMergePatch({ a: 1 }, { a: { b: 1 } }), { a: { b: 1 } });
  });
});

describe("JSON patch", () => {
  it("applies operations and fails a test with 422", () => {
    assert.deepEqual(applyJsonPatch({ a: [1], b: { "c/d": 1 } }, [{ op: "add", path: "/a/-", value: 2 }, { op: "remove", path: "/b/c~1d" }]), { a: [1, 2], b: {} });
    assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }]), (e: { code?: number }) => e.code === 422);
    assert.throws(() => applyJsonPatch({ a: 1 }, { op: "add" }), (e: { code?: number }) => e.code === 400);
  });
});

describe("strategic merge patch", () => {
  const cases: [string, unknown, (out: ReturnType<typeof pod>) => void][] = [
    ["merges containers by name and keeps the rest", { spec: { containers: [{ name: "a", image: "a:2" }] } }, (o) => {
      assert.deepEqual(o.spec.containers.map((c) => [c.name, c.image]), [["a", "a:2"], ["b", "b:1"]]);
      assert.equal(o.spec.containers[0]!.env!.length, 2);
    }],
    ["deletes a list element with $patch: delete", { spec: { containers: [{ name: "b", $patch: "delete" }] } }, (o) => assert.deepEqual(o.spec.containers.map((c) => c.name), ["a"])],
    ["merges env by name inside a container", { spec: { containers: [{ name: "a", env: [{ name: "Y", value: "3" }, { name: "Z", value: "4" }] }] } }, (o) => {
      assert.deepEqual(o.spec.containers[0]!.env, [{ name: "X", value: "1" }, { name: "Y", value: "3" }, { name: "Z", value: "4" }]);
    }],
    ["replaces lists without a merge key", { spec: { tolerations: [{ key: "n" }], containers: [{ name: "a", args: ["z"] }] } }, (o) => {
      assert.deepEqual(o.spec.tolerations, [{ key: "n" }]);
      assert.deepEqual(o.spec.containers[0]!.args, ["z"]);
    }],
    ["orders elements with $setElementOrder", { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }], containers: [{ name: "a", image: "a:3" }] } }, (o) => {
      assert.deepEqual(o.spec.containers.map((c) => c.name), ["b", "a"]);
    }],
    ["clears keys not listed in $retainKeys", { spec: { volumes: [{ name: "v", $retainKeys: ["name", "hostPath"], hostPath: { path: "/tmp" }, emptyDir: null }] } }, (o) => {
      assert.deepEqual(o.spec.volumes, [{ name: "v", hostPath: { path: "/tmp" } }]);
    }],
    ["merges finalizers as a set and removes with $deleteFromPrimitiveList", { metadata: { finalizers: ["b", "a"], "$deleteFromPrimitiveList/finalizers": ["a"] } }, (o) => {
      assert.deepEqual(o.metadata.finalizers, ["b"]);
    }],
    ["deletes map keys given null and replaces a map with $patch: replace", { metadata: { labels: { tier: null } }, spec: { $patch: "replace", containers: [{ name: "only", image: "o" }] } }, (o) => {
      assert.deepEqual(o.metadata.labels, { app: "web" });
      assert.deepEqual(Object.keys(o.spec), ["containers"]);
    }],
    ["merges container ports by containerPort", { spec: { containers: [{ name: "a", ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }] }] } }, (o) => {
      assert.deepEqual(o.spec.containers[0]!.ports, [{ containerPort: 80, name: "http" }, { containerPort: 443 }]);
    }],
  ];
  for (const [name, patch, check] of cases) it(name, () => check(applyStrategicMergePatch(pod(), patch) as ReturnType<typeof pod>));
  it("refuses an element without its merge key", () => {
    assert.throws(() => applyStrategicMergePatch(pod(), { spec: { containers: [{ image: "x" }] } }), (e: { code?: number }) => e.code === 422);
  });
});
