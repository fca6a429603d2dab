import assert from "node:assert/strict";
import { it } from "node:test";
import { jsonTextTooDeep, valueTooDeep, yamlTextTooDeep } from "./json-depth.js";

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

it("bounds YAML nesting on the text, block and flow, before the parser recurses", () => {
  const block = (n: number) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " 1";
  assert.equal(yamlTextTooDeep(block(3), 3), false);
  assert.equal(yamlTextTooDeep(block(4), 3), true);
  assert.equal(yamlTextTooDeep("a:\n  b: 1\nc:\n  d: 2\n", 2), false);
  assert.equal(yamlTextTooDeep("- - - x", 3), true);
  assert.equal(yamlTextTooDeep("a: [[1]]", 3), false);
  assert.equal(yamlTextTooDeep("a: [[[1]]]", 3), true);
  assert.equal(yamlTextTooDeep("a: '[[[[[['  # [[[[[[", 2), false);
  assert.equal(yamlTextTooDeep("[".repeat(100_000)), true);
  assert.equal(yamlTextTooDeep("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n    args: [a, b]\n"), false);
});
