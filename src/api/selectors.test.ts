import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLabelSelector, labelSelectorRequirements, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.js";

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", env: "prod" };
  const cases: [string, boolean][] = [
    ["", true], ["app=web", true], ["app==web", true], ["app=api", false], ["app!=api", true], ["app!=web", false],
    ["tier in (front,back)", true], ["tier in (back)", false], ["env notin (dev, test)", true], ["env notin (prod)", false],
    ["app", true], ["missing", false], ["!missing", true], ["!app", false], ["app=web,tier=front", true], ["app=web,tier=back", false],
    ["missing!=x", true],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} ${want ? "matches" : "does not match"}`, () => assert.equal(matchesLabels(parseLabelSelector(sel), labels), want));
  }
  it("rejects malformed selectors with a 400", () => {
    for (const bad of ["a in (b", "=x", "a b"]) assert.throws(() => parseLabelSelector(bad), (e: { code?: number }) => e.code === 400, bad);
  });
  it("turns a LabelSelector into requirements and text", () => {
    const sel = { matchLabels: { b: "2", a: "1" }, matchExpressions: [{ key: "c", operator: "In", values: ["x", "y"] }, { key: "d", operator: "DoesNotExist" }] };
    assert.equal(formatLabelSelector(sel), "a=1,b=2,c in (x,y),!d");
    assert.ok(matchesLabels(labelSelectorRequirements(sel), { a: "1", b: "2", c: "y" }));
    assert.ok(!matchesLabels(labelSelectorRequirements(sel), { a: "1", b: "2", c: "y", d: "" }));
  });
});

describe("field selectors", () => {
  it("parses =, == and !=", () => {
    assert.deepEqual(parseFieldSelector("spec.nodeName=n1,status.phase!=Failed,metadata.name==x"), [
      { field: "spec.nodeName", op: "=", value: "n1" }, { field: "status.phase", op: "!=", value: "Failed" }, { field: "metadata.name", op: "=", value: "x" },
    ]);
    assert.deepEqual(parseFieldSelector("spec.nodeName="), [{ field: "spec.nodeName", op: "=", value: "" }]);
    assert.throws(() => parseFieldSelector("nonsense"), (e: { code?: number }) => e.code === 400);
  });
});
