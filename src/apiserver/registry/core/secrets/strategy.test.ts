import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Secret } from "kubernetes-types/core/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import { secretStrategy } from "./strategy.js";

const messages = (secret: Secret) => secretStrategy.validate!({ ...secret, metadata: { name: "x", namespace: "default" } }).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe("Secret data", () => {
  const cases: [string, Secret, RegExp[]][] = [
    ["secret data over 1 MiB decoded", { data: { a: Buffer.alloc(1024 * 1024 + 1).toString("base64") } }, [/^data: Too long: must have at most 1048576 bytes$/]],
    ["a bad secret key", { data: { "a b": "eA==" } }, [/^data\[a b\]: Invalid value/]],
    ["data that is not base64", { data: { a: "not base64!" } }, [/^data\[a\]: Invalid value: "<secret contents redacted>": illegal base64 data$/]],
  ];
  for (const [name, secret, want] of cases) {
    it(name, () => {
      const got = messages(secret);
      assert.equal(got.length, want.length, got.join("\n"));
      want.forEach((re, i) => assert.match(got[i]!, re));
    });
  }

  it("folds stringData into data on defaulting", () => {
    const s = { metadata: { name: "x" }, stringData: { a: "hello" } };
    secretStrategy.defaults!(s);
    assert.deepEqual(s, { metadata: { name: "x" }, type: "Opaque", data: { a: "aGVsbG8=" } });
  });
});
