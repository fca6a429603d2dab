import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldErrorMessage } from "./errors.js";
import { validateObject } from "./validation.js";

const meta = { name: "x", namespace: "default" };
const messages = (kind: string, obj: Record<string, unknown>) => validateObject(kind, { metadata: meta, ...obj }, true).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe("ConfigMap and Secret data", () => {
  const cases: [string, string, Record<string, unknown>, RegExp[]][] = [
    ["valid keys", "ConfigMap", { data: { "a.conf": "1", A_B: "2", "-x": "3" }, binaryData: { bin: "AAEC" } }, []],
    ["a key with a slash", "ConfigMap", { data: { "a/b": "1" } }, [/^data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of alphanumeric characters/]],
    ["dot keys", "ConfigMap", { data: { ".": "1", "..": "2", "..a": "3" } }, [/must not be '\.'$/, /must not be '\.\.'$/, /must not start with '\.\.'$/]],
    ["a key in both bags", "ConfigMap", { data: { a: "1" }, binaryData: { a: "AA==" } }, [/^data\[a\]: .*duplicate of key present in binaryData/, /^binaryData\[a\]: .*duplicate of key present in data/]],
    ["data over 1 MiB", "ConfigMap", { data: { a: "x".repeat(1024 * 1024), b: "y" } }, [/^\[\]: Too long: must have at most 1048576 bytes$/]],
    ["data at 1 MiB", "ConfigMap", { data: { a: "x".repeat(1024 * 1024) } }, []],
    ["binary data counts decoded", "ConfigMap", { binaryData: { a: Buffer.alloc(1024 * 1024).toString("base64") } }, []],
    ["secret data over 1 MiB decoded", "Secret", { data: { a: Buffer.alloc(1024 * 1024 + 1).toString("base64") } }, [/^data: Too long: must have at most 1048576 bytes$/]],
    ["a bad secret key", "Secret", { data: { "a b": "eA==" } }, [/^data\[a b\]: Invalid value/]],
  ];
  for (const [name, kind, obj, want] of cases) {
    it(name, () => {
      const got = messages(kind, obj);
      assert.equal(got.length, want.length, got.join("\n"));
      want.forEach((re, i) => assert.match(got[i]!, re));
    });
  }
});

it("bounds annotations to 256 KiB in all, as upstream", () => {
  const big = validateObject("ConfigMap", { metadata: { ...meta, annotations: { a: "x".repeat(256 * 1024) } } }, true).map(fieldErrorMessage);
  assert.deepEqual(big, ["Too long: must have at most 262144 bytes"]);
  assert.deepEqual(validateObject("ConfigMap", { metadata: { ...meta, annotations: { a: "x".repeat(1000) } } }, true), []);
});
