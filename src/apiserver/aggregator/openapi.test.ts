import assert from "node:assert/strict";
import { it } from "node:test";
import { AggregatedOpenApi } from "./openapi.js";

const v2 = (title: string) => ({ swagger: "2.0", info: { title, version: "v0" }, paths: {}, definitions: {} });

it("changes its generation only when what an APIService serves changed, and forgets one taken away", () => {
  const specs = new AggregatedOpenApi();
  specs.set("v1.a.example.com", { v2: v2("a"), v2Text: JSON.stringify(v2("a")), v3: new Map([["apis/a.example.com/v1", { body: "{}", hash: "H1" }]]) });
  assert.equal(specs.generation, 1);
  specs.set("v1.a.example.com", { v2: v2("a"), v2Text: JSON.stringify(v2("a")), v3: new Map([["apis/a.example.com/v1", { body: "{}", hash: "H1" }]]) });
  assert.equal(specs.generation, 1, "the same download again");
  specs.set("v1.a.example.com", { v2: v2("a"), v2Text: JSON.stringify(v2("a")), v3: new Map([["apis/a.example.com/v1", { body: "{ }", hash: "H2" }]]) });
  assert.equal(specs.generation, 2);
  specs.set("v1.b.example.com", { v3: new Map() });
  assert.deepEqual(specs.v2Documents().map((d) => d.info.title), ["a"]);
  assert.deepEqual([...specs.v3Documents().keys()], ["apis/a.example.com/v1"]);
  specs.delete("v1.a.example.com");
  specs.delete("v1.nothing.example.com");
  assert.equal(specs.generation, 4);
  assert.deepEqual(specs.v2Documents(), []);
  assert.equal(specs.v3Documents().size, 0);
});
