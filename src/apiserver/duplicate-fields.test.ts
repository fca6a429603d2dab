import assert from "node:assert/strict";
import { it } from "node:test";
import { duplicateFields } from "./duplicate-fields.js";

it("finds keys repeated within one object, with their paths", () => {
  assert.deepEqual(duplicateFields('{"a":1,"b":{"c":[{"d":1,"d":2}],"c2":"x"},"a":3}'), ["b.c[0].d", "a"]);
  assert.deepEqual(duplicateFields('{"a":{"x":1},"b":{"x":1},"s":"\\"a\\":1,\\"a\\""}'), []);
  assert.deepEqual(duplicateFields("[1, {}, []]"), []);
});
