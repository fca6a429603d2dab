import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Node } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { ResourceInfo } from "../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject } from "../admission.js";
import { TaintNodesByCondition } from "./taint-nodes-by-condition.js";

const info = (resource: string) => ({ group: "", version: "v1", resource, namespaced: false, kind: "", singular: "", subresources: [], verbs: [], storagePrefix: resource }) as ResourceInfo;
const attrs = (object: AdmissionObject, a: Partial<AdmissionAttributes> = {}): AdmissionAttributes =>
  ({ info: info("nodes"), operation: "CREATE", object, namespace: "", name: "", subresource: "", user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {}, ...a });

describe("TaintNodesByCondition", () => {
  const plugin = new TaintNodesByCondition();

  it("a new node starts not-ready for scheduling, its own taints kept", () => {
    const node: Kube<Node> = { metadata: { name: "n" }, spec: { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] } };
    plugin.admit(attrs(node));
    assert.deepEqual(node.spec!.taints, [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }, { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]);
    const bare: Kube<Node> = { metadata: { name: "m" } };
    plugin.admit(attrs(bare));
    assert.deepEqual(bare.spec!.taints, [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]);
  });

  it("adds it once, and only on create of the node itself", () => {
    const tainted: Kube<Node> = { metadata: { name: "n" }, spec: { taints: [{ key: "node.kubernetes.io/not-ready", value: "x", effect: "NoSchedule" }] } };
    plugin.admit(attrs(tainted));
    assert.equal(tainted.spec!.taints!.length, 1);
    for (const a of [{ operation: "UPDATE" as const }, { subresource: "status" }, { info: info("pods") }]) {
      const obj: Kube<Node> = { metadata: { name: "n" }, spec: {} };
      plugin.admit(attrs(obj, a));
      assert.equal(obj.spec!.taints, undefined, JSON.stringify(a));
    }
  });
});
