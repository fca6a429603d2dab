import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFloat, renderConstFamilies } from "./const-families.js";

describe("const families", () => {
  // What Go's strconv.FormatFloat(v, 'g', -1, 64) writes, as client_golang's text format does.
  const floats: Array<[number, string]> = [
    [0, "0"], [1, "1"], [-1, "-1"], [0.25, "0.25"], [123456, "123456"], [1234567, "1.234567e+06"], [1e6, "1e+06"],
    [3e9, "3e+09"], [1796274000.5, "1.7962740005e+09"], [0.0001, "0.0001"], [0.00001, "1e-05"], [1.5e-10, "1.5e-10"],
    [1e21, "1e+21"], [1.5e100, "1.5e+100"], [NaN, "NaN"], [Infinity, "+Inf"], [-Infinity, "-Inf"],
  ];
  for (const [v, want] of floats) it(`writes ${v} as ${want}`, () => assert.equal(formatFloat(v), want));

  it("sorts families and series, sorts and escapes labels, and leaves out empty families", () => {
    const text = renderConstFamilies([
      { name: "b_total", help: "B\\s, by line\nand more", type: "counter", samples: [
        { labels: { z: "1", a: 'say "hi"\n' }, value: 2, timestampMs: 1000 },
        { labels: { z: "0", a: "a\\b" }, value: 1 },
      ] },
      { name: "a_empty", help: "never written", type: "gauge", samples: [] },
      { name: "a", help: "A", type: "gauge", samples: [{ value: 7 }] },
    ]);
    assert.equal(text, [
      "# HELP a A",
      "# TYPE a gauge",
      "a 7",
      "# HELP b_total B\\\\s, by line\\nand more",
      "# TYPE b_total counter",
      'b_total{a="a\\\\b",z="0"} 1',
      'b_total{a="say \\"hi\\"\\n",z="1"} 2 1000',
      "",
    ].join("\n"));
  });
});
