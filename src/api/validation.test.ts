import assert from "node:assert/strict";
import { it } from "node:test";
import { fieldErrorMessage } from "./errors.js";
import { dns1035Label, validateObjectMeta } from "./validation.js";

const meta = { name: "x", namespace: "default" };

it("bounds annotations to 256 KiB in all, as upstream", () => {
  const big = validateObjectMeta({ metadata: { ...meta, annotations: { a: "x".repeat(256 * 1024) } } }, true).map(fieldErrorMessage);
  assert.deepEqual(big, ["Too long: must have at most 262144 bytes"]);
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, annotations: { a: "x".repeat(1000) } } }, true), []);
});

it("checks names by the resource's rule, a DNS-1123 subdomain unless it has its own", () => {
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, name: "a.b" } }, true), []);
  assert.match(fieldErrorMessage(validateObjectMeta({ metadata: { ...meta, name: "A" } }, true)[0]!), /lowercase RFC 1123 subdomain/);
  assert.match(fieldErrorMessage(validateObjectMeta({ metadata: { ...meta, name: "a.b" } }, true, dns1035Label)[0]!), /DNS-1035 label/);
  assert.deepEqual(validateObjectMeta({ metadata: { namespace: "default" } }, true).map((e) => e.field), ["metadata.name"]);
});

it("lets at most one ownerReference be the controller, as upstream", () => {
  const ref = (name: string, controller?: boolean) => ({ apiVersion: "apps/v1", kind: "ReplicaSet", name, uid: `uid-${name}`, ...(controller === undefined ? {} : { controller }) });
  assert.deepEqual(validateObjectMeta({ metadata: { ...meta, ownerReferences: [ref("a", true), ref("b", false), ref("c")] } }, true), []);
  const two = validateObjectMeta({ metadata: { ...meta, ownerReferences: [ref("a", true), ref("b", true)] } }, true);
  assert.equal(two.length, 1);
  assert.equal(two[0]!.field, "metadata.ownerReferences");
  assert.match(two[0]!.detail!, /^Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/);
});
