import assert from "node:assert/strict";
import { it } from "node:test";
import { parse } from "@marcbachmann/cel-js";
import { costErrorMessage, estimateCost, MAX_REQUEST_SIZE_BYTES, ObservedBounds, schemaBounds } from "./cost.js";
import type { Schema } from "./types.js";

const list = (maxItems?: number): Schema => ({ type: "array", maxItems, items: { type: "integer" } });
const cost = (expr: string, self: Schema, bounds = schemaBounds) => estimateCost(parse(expr).ast, new Map([["self", self]]), bounds);

it("bounds a list by maxItems, else by how many of its items a request can hold", () => {
  assert.equal(schemaBounds.size(list(10)), 10);
  assert.equal(schemaBounds.size(list()), Math.floor((MAX_REQUEST_SIZE_BYTES - 2) / 2));
  assert.equal(schemaBounds.size({ type: "string", maxLength: 5 }), 5);
  assert.equal(schemaBounds.size({ type: "object", properties: { a: {}, b: {} } }), 2);
});

it("charges a comprehension its range's size times its body, so nesting multiplies", () => {
  const one = cost("self.all(x, x > 0)", list(100));
  const nested = cost("self.all(x, self.all(y, x == y))", list(100));
  assert.ok(one >= 100 && one < 1000, String(one));
  assert.ok(nested >= 100 * 100, String(nested));
  assert.ok(cost("self.all(x, self.all(y, x == y))", list()) > 1e10, "unbounded lists make a quadratic rule unaffordable");
});

it("charges what an object actually holds at runtime", () => {
  const s: Schema = { type: "object", properties: { l: list() } };
  const small = new ObservedBounds({ l: [1, 2, 3] }, s);
  assert.equal(small.size(s.properties!.l), 3);
  const c = estimateCost(parse("self.l.all(x, self.l.all(y, x == y))").ast, new Map([["self", s]]), small);
  assert.ok(c < 100, String(c));
});

it("words an exceeded cost as upstream", () => {
  assert.equal(costErrorMessage("estimated rule cost", 2e9, 1e7), "estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)");
  assert.match(costErrorMessage("estimated rule cost", 2.5e7, 1e7), /factor of 2\.5x/);
});
