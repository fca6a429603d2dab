import assert from "node:assert/strict";
import { it } from "node:test";
import { celEqual, SchemaTypes, type Schema } from "./types.js";

it("maps schema nodes to CEL types as upstream's SchemaDeclType", () => {
  const t = new SchemaTypes();
  const cases: [Schema, string | RegExp][] = [
    [{ type: "integer" }, "int"],
    [{ type: "number" }, "double"],
    [{ type: "boolean" }, "bool"],
    [{ type: "string" }, "string"],
    [{ type: "string", format: "date-time" }, "google.protobuf.Timestamp"],
    [{ type: "string", format: "duration" }, "google.protobuf.Duration"],
    [{ type: "string", format: "byte" }, "bytes"],
    [{ "x-kubernetes-int-or-string": true }, "dyn"],
    [{ type: "object", "x-kubernetes-preserve-unknown-fields": true }, "dyn"],
    [{ type: "array", items: { type: "string" } }, "list<string>"],
    [{ type: "object", additionalProperties: { type: "integer" } }, "map<string, int>"],
    [{ type: "array", items: { type: "object", additionalProperties: { type: "array", items: { type: "boolean" } } } }, "list<map<string, list<bool>>>"],
    [{ type: "object", properties: { a: { type: "integer" } } }, /^Object_spec$/],
  ];
  for (const [s, want] of cases) {
    const got = t.typeOf(s, ".spec");
    if (typeof want === "string") assert.equal(got, want, JSON.stringify(s));
    else assert.match(got, want, JSON.stringify(s));
  }
});

it("gives each object schema its own type, and the same one each time", () => {
  const t = new SchemaTypes();
  const a: Schema = { type: "object", properties: { x: { type: "integer" } } };
  const b: Schema = { type: "object", properties: { x: { type: "integer" } } };
  assert.equal(t.typeOf(a, ".a"), t.typeOf(a, ".a"));
  assert.notEqual(t.typeOf(a, ".a"), t.typeOf(b, ".a"));
});

it("converts JSON values by their schema: integers to bigint, maps to Map, objects to their type's instances", () => {
  const t = new SchemaTypes();
  const s: Schema = {
    type: "object",
    properties: {
      n: { type: "integer" }, f: { type: "number" }, port: { "x-kubernetes-int-or-string": true },
      m: { type: "object", additionalProperties: { type: "integer" } }, l: { type: "array", items: { type: "integer" } },
      free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  };
  t.typeOf(s, "");
  const v = t.toCel({ n: 3, f: 2, port: 80, m: { a: 1 }, l: [1, 2], free: { deep: [1, 1.5] } }, s) as { [k: string]: unknown };
  assert.equal(v.n, 3n);
  assert.equal(v.f, 2);
  assert.equal(v.port, 80n);
  assert.deepEqual(v.m, new Map([["a", 1n]]));
  assert.deepEqual(v.l, [1n, 2n]);
  assert.deepEqual(v.free, { deep: [1n, 1.5] });
  assert.equal(t.toCel({}, s) instanceof Object, true);
  assert.equal("n" in (t.toCel({}, s) as object), false, "an absent field stays absent (has() is false)");
});

it("compares converted values as CEL does", () => {
  assert.ok(celEqual([1n, new Map([["a", 2n]])], [1n, new Map([["a", 2n]])]));
  assert.ok(!celEqual([1n, 2n], [2n, 1n]));
  assert.ok(celEqual(1n, 1));
  assert.ok(!celEqual({ a: 1n }, { a: 1n, b: 2n }));
});
