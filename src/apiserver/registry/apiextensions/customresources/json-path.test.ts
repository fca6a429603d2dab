import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findResults } from "./json-path.js";

const provider = {
  spec: { type: "vsphere", settings: { "vddk.image": "x" } },
  status: {
    conditions: [
      { type: "Ready", status: "True", priority: 1 },
      { type: "ConnectionTestSucceeded", status: "False", priority: 3 },
    ],
  },
};

describe("findResults (printer column JSONPath)", () => {
  const cases: Array<[string, unknown[]]> = [
    [".spec.type", ["vsphere"]],
    [".spec.missing", []],
    [".status.conditions[0].type", ["Ready"]],
    [".status.conditions[-1].type", ["ConnectionTestSucceeded"]],
    [".status.conditions[5].type", []],
    [".status.conditions[*].status", ["True", "False"]],
    [".status.conditions[0:1].type", ["Ready"]],
    [".status.conditions[?(@.type=='Ready')].status", ["True"]],
    ['.status.conditions[?(@.type=="ConnectionTestSucceeded")].status', ["False"]],
    [".status.conditions[?(@.type!='Ready')].type", ["ConnectionTestSucceeded"]],
    [".status.conditions[?(@.priority>2)].type", ["ConnectionTestSucceeded"]],
    [".status.conditions[?(@.type=='Absent')].status", []],
    [".status.conditions[?(@.priority)].type", ["Ready", "ConnectionTestSucceeded"]],
    [".spec.settings['vddk.image']", ["x"]],
    ["..status", [provider.status, "True", "False"]],
  ];
  for (const [path, want] of cases) it(path, () => assert.deepEqual(findResults(provider, path), want));

  it("throws on an unterminated bracket, which a cell shows as empty", () => {
    assert.throws(() => findResults(provider, ".status.conditions[0"), /unterminated/);
  });
});
