import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultTablePrinter, humanDuration, tablePrinter } from "./tables.js";

describe("humanDuration", () => {
  const cases: [number, string][] = [[-5000, "<invalid>"], [0, "0s"], [59_000, "59s"], [119_000, "119s"], [150_000, "2m30s"], [600_000, "10m"], [3 * 3600_000 + 5 * 60_000, "3h5m"], [30 * 3600_000, "30h"], [3 * 86400_000 + 3600_000, "3d1h"], [40 * 86400_000, "40d"], [3 * 365 * 86400_000, "3y0d"]];
  for (const [ms, want] of cases) it(`${ms}ms is ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe("table printers", () => {
  const now = Date.parse("2026-01-01T00:01:00Z");
  const obj = { metadata: { name: "x", creationTimestamp: "2026-01-01T00:00:00Z" } };
  it("start with the name, then their own columns", () => {
    const p = tablePrinter<typeof obj>([["Kind"], ["Count", "integer", 1]], () => ["k", 3]);
    assert.deepEqual(p.columns.map((c) => [c.name, c.type, c.priority, c.format]), [["Name", "string", 0, "name"], ["Kind", "string", 0, ""], ["Count", "integer", 1, ""]]);
    assert.deepEqual(p.row(obj, now), ["x", "k", 3]);
    assert.deepEqual(tablePrinter<typeof obj>([], () => [], (o) => `${o.metadata.name} (default)`).row(obj, now), ["x (default)"]);
  });
  it("show name and age for a resource without columns of its own", () => {
    assert.deepEqual(defaultTablePrinter.columns.map((c) => c.name), ["Name", "Age"]);
    assert.deepEqual(defaultTablePrinter.row(obj, now), ["x", "60s"]);
  });
});
