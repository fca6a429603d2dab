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
