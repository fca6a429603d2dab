import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import { configMapStrategy } from "./strategy.js";

const messages = (cm: ConfigMap) => configMapStrategy.validate!({ ...cm, metadata: { name: "x", namespace: "default" } }).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe("ConfigMap data", () => {
  const cases: [string, ConfigMap, RegExp[]][] = [
    ["valid keys", { data: { "a.conf": "1", A_B: "2", "-x": "3" }, binaryData: { bin: "AAEC" } }, []],
    ["a key with a slash", { data: { "a/b": "1" } }, [/^data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of alphanumeric characters/]],
    ["dot keys", { data: { ".": "1", "..": "2", "..a": "3" } }, [/must not be '\.'$/, /must not be '\.\.'$/, /must not start with '\.\.'$/]],
    ["a key in both bags", { data: { a: "1" }, binaryData: { a: "AA==" } }, [/^data\[a\]: .*duplicate of key present in binaryData/, /^binaryData\[a\]: .*duplicate of key present in data/]],
    ["data over 1 MiB", { data: { a: "x".repeat(1024 * 1024), b: "y" } }, [/^\[\]: Too long: must have at most 1048576 bytes$/]],
    ["data at 1 MiB", { data: { a: "x".repeat(1024 * 1024) } }, []],
    ["binary data counts decoded", { binaryData: { a: Buffer.alloc(1024 * 1024).toString("base64") } }, []],
  ];
  for (const [name, cm, want] of cases) {
    it(name, () => {
      const got = messages(cm);
      assert.equal(got.length, want.length, got.join("\n"));
      want.forEach((re, i) => assert.match(got[i]!, re));
    });
  }
});
