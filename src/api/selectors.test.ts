import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLabelSelector, labelSelectorRequirements, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.js";

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", env: "prod" };
  const cases: [string, boolean][] = [
    ["", true], ["app=web", true], ["app==web", true], ["app=api", false], ["app!=api", true], ["app!=web", false],
    ["tier in (front,back)", true], ["tier in (back)", false], ["env notin (dev, test)", true], ["env notin (prod)", false],
    ["app", true], ["missing", false], ["!missing", true], ["!app", false], ["app=web,tier=front", true], ["app=web,tier=back", false],
    ["missing!=x", true], ["tier in (in,front)", true], ["env notin ()", true], ["app=", false], ["n>3", false],
  ];
  for (const [sel, want] of cases) {
    it(`${JSON.stringify(sel)} ${want ? "matches" : "does not match"}`, () => assert.equal(matchesLabels(parseLabelSelector(sel), labels), want));
  }
  it("rejects malformed selectors with a 400", () => {
    for (const bad of ["a in (b", "=x", "a b", "a=b,", ",a", "a in ()x", "a=b c", "a/b/c", "a=(", "-a", "a>x", "a=" + "v".repeat(64)]) {
      assert.throws(() => parseLabelSelector(bad), (e: { code?: number }) => e.code === 400, bad);
    }
  });
  it("says what is wrong in upstream's words", () => {
    const message = (sel: string) => { try { parseLabelSelector(sel); return ""; } catch (e) { return (e as Error).message; } };
    assert.equal(message("a=b,"), "found '', expected: identifier after ','");
    assert.equal(message("a b"), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    assert.equal(message("a=b c"), "found 'c', expected: ',' or 'end of string'");
    assert.equal(message("a in (b"), "unable to parse requirement: found '', expected: ',' or ')'");
    assert.match(message("-a"), /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of/);
  });
  it("compares numbers with > and <, and reads empty values as upstream", () => {
    assert.ok(matchesLabels(parseLabelSelector("n>3,n<10"), { n: "5" }));
    assert.ok(!matchesLabels(parseLabelSelector("n>3"), { n: "x" }));
    assert.deepEqual(parseLabelSelector("a in (,b),c notin ()"), [{ key: "a", op: "in", values: ["", "b"] }, { key: "c", op: "notin", values: [""] }]);
    assert.deepEqual(parseLabelSelector("x in (in)"), [{ key: "x", op: "in", values: ["in"] }]);
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
