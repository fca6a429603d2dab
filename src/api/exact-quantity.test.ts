import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExactQuantity } from "./exact-quantity.js";

const q = (s: string) => {
  const parsed = ExactQuantity.parse(s);
  assert.ok(parsed, `parses ${s}`);
  return parsed;
};

describe("ExactQuantity", () => {
  // Upstream's canonical forms (resource.Quantity.String()).
  const canonical: [string, string][] = [
    ["1", "1"], ["1000m", "1"], ["500m", "500m"], ["0.5", "500m"], ["1.5", "1500m"], ["0", "0"], ["0m", "0"],
    ["2000k", "2M"], ["1k", "1k"], ["100m", "100m"], ["0.1n", "1n"], ["1u", "1u"],
    ["128Mi", "128Mi"], ["1024Mi", "1Gi"], ["1536Mi", "1536Mi"], ["0.5Gi", "512Mi"], ["0.5Ki", "512"], ["1Ki", "1Ki"], ["100Ki", "100Ki"],
    ["1e3", "1e3"], ["1.5e3", "1500"], ["12e-3", "12e-3"], ["1E", "1E"], ["-500m", "-500m"],
  ];
  for (const [text, want] of canonical) it(`writes ${text} as ${want}`, () => assert.equal(String(q(text)), want));

  it("refuses what is not a quantity", () => {
    for (const bad of ["", "abc", "1.2.3", "1Ki2", "m", "1 Gi", "."]) assert.equal(ExactQuantity.parse(bad), undefined, bad);
  });

  it("compares amounts however they are written", () => {
    assert.equal(q("1").cmp(q("1000m")), 0);
    assert.equal(q("1Gi").cmp(q("1024Mi")), 0);
    assert.equal(q("500m").cmp(q("1")), -1);
    assert.equal(q("1G").cmp(q("1Gi")), -1);
    assert.equal(q("2").cmp(q("1999m")), 1);
  });

  it("adds, keeping the first one's format", () => {
    assert.equal(String(q("500m").add(q("1"))), "1500m");
    assert.equal(String(q("128Mi").add(q("128Mi"))), "256Mi");
  });

  it("rounds milli-values and values up, as upstream", () => {
    assert.equal(q("1").milliValue(), 1000n);
    assert.equal(q("1.0001").milliValue(), 1001n);
    assert.equal(q("1500m").value(), 2n);
    assert.equal(q("1Ki").value(), 1024n);
  });
});
