import assert from "node:assert/strict";
import { it } from "node:test";
import { jsonTextTooDeep, valueTooDeep } from "./json-depth.js";

it("measures the nesting of JSON text without parsing it, strings aside", () => {
  const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
  assert.equal(jsonTextTooDeep(nest(3), 3), false);
  assert.equal(jsonTextTooDeep(nest(4), 3), true);
  assert.equal(jsonTextTooDeep(`{"a":"[[[[{{{{\\"[[[["}`, 1), false);
  assert.equal(jsonTextTooDeep(`[1],[2],[3]`, 1), false);
  assert.equal(jsonTextTooDeep(nest(100_000)), true);
});

it("measures the nesting of a decoded value without recursion, and calls a cycle too deep", () => {
  let v: unknown = 1;
  for (let i = 0; i < 100_000; i++) v = { a: [v] };
  assert.equal(valueTooDeep(v), true);
  assert.equal(valueTooDeep({ a: [{ b: 1 }] }, 3), false);
  assert.equal(valueTooDeep({ a: [{ b: {} }] }, 3), true);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(valueTooDeep(cyclic), true);
});
