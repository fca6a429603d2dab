import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceInfo } from "../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject } from "../admission.js";
import { StorageObjectInUseProtection } from "./storage-object-in-use-protection.js";

const info = (resource: string, group = "") => ({ group, version: "v1", resource, namespaced: true, kind: "", singular: "", subresources: [], verbs: [], storagePrefix: resource }) as ResourceInfo;
const attrs = (object: AdmissionObject, a: Partial<AdmissionAttributes>): AdmissionAttributes =>
  ({ info: info("persistentvolumeclaims"), operation: "CREATE", object, namespace: "ns", name: "", subresource: "", user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {}, ...a });

describe("StorageObjectInUseProtection", () => {
  const plugin = new StorageObjectInUseProtection();
  const finalizersAfter = (object: AdmissionObject, a: Partial<AdmissionAttributes>) => { plugin.admit(attrs(object, a)); return object.metadata.finalizers; };

  it("protects new claims and volumes, keeping other finalizers", () => {
    assert.deepEqual(finalizersAfter({ metadata: { name: "c" } }, {}), ["kubernetes.io/pvc-protection"]);
    assert.deepEqual(finalizersAfter({ metadata: { name: "v", finalizers: ["example.com/keep"] } }, { info: info("persistentvolumes") }), ["example.com/keep", "kubernetes.io/pv-protection"]);
  });

  it("adds nothing twice, nor on update, to a subresource or another kind", () => {
    assert.deepEqual(finalizersAfter({ metadata: { name: "c", finalizers: ["kubernetes.io/pvc-protection"] } }, {}), ["kubernetes.io/pvc-protection"]);
    assert.equal(finalizersAfter({ metadata: { name: "c" } }, { operation: "UPDATE" }), undefined);
    assert.equal(finalizersAfter({ metadata: { name: "c" } }, { subresource: "status" }), undefined);
    assert.equal(finalizersAfter({ metadata: { name: "p" } }, { info: info("pods") }), undefined);
    assert.equal(finalizersAfter({ metadata: { name: "x" } }, { info: info("persistentvolumeclaims", "example.com") }), undefined);
  });
});
