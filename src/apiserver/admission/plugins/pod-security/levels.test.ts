import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareLevels, DEFAULT_POLICY, defaultsToPolicy, levelVersionString, parseVersion, type Policy, policyToEvaluate } from "./levels.js";

describe("policy versions", () => {
  const table: [string, ReturnType<typeof parseVersion>][] = [
    ["latest", { version: "latest" }],
    ["v1.0", { version: 0 }],
    ["v1.32", { version: 32 }],
    ["v1.100", { version: 100 }],
    ["v1.01", { version: "latest", error: `must be "latest" or "v1.x"` }],
    ["v2.1", { version: "latest", error: `must be "latest" or "v1.x"` }],
    ["1.25", { version: "latest", error: `must be "latest" or "v1.x"` }],
    ["", { version: "latest", error: `must be "latest" or "v1.x"` }],
  ];
  for (const [input, want] of table) it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseVersion(input), want));

  it("prints level:version as upstream", () => {
    assert.equal(levelVersionString({ level: "restricted", version: "latest" }), "restricted:latest");
    assert.equal(levelVersionString({ level: "baseline", version: 24 }), "baseline:v1.24");
  });

  it("compares levels by strictness", () => {
    assert.equal(compareLevels("privileged", "baseline"), -1);
    assert.equal(compareLevels("restricted", "baseline"), 1);
    assert.equal(compareLevels("baseline", "baseline"), 0);
  });
});

describe("policyToEvaluate", () => {
  const p = (e: string, ev: number | "latest", a: string, av: number | "latest", w: string, wv: number | "latest") =>
    ({ enforce: { level: e, version: ev }, audit: { level: a, version: av }, warn: { level: w, version: wv } }) as Policy;
  const table: { name: string; labels?: Record<string, string>; policy: Policy; errors?: string[] }[] = [
    { name: "no labels", policy: DEFAULT_POLICY },
    {
      name: "all labels",
      labels: {
        "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.24",
        "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.30",
      },
      policy: p("baseline", 24, "restricted", "latest", "restricted", 30),
    },
    { name: "version without level", labels: { "pod-security.kubernetes.io/enforce-version": "v1.20" }, policy: p("privileged", 20, "privileged", "latest", "privileged", "latest") },
    {
      name: "invalid enforce fails closed, invalid audit and warn fail open",
      labels: { "pod-security.kubernetes.io/enforce": "foo", "pod-security.kubernetes.io/audit": "bar", "pod-security.kubernetes.io/warn": "baz", "pod-security.kubernetes.io/warn-version": "1.2" },
      policy: p("restricted", "latest", "privileged", "latest", "privileged", "latest"),
      errors: [
        `metadata.labels[pod-security.kubernetes.io/enforce]: "foo": must be one of privileged, baseline, restricted`,
        `metadata.labels[pod-security.kubernetes.io/audit]: "bar": must be one of privileged, baseline, restricted`,
        `metadata.labels[pod-security.kubernetes.io/warn]: "baz": must be one of privileged, baseline, restricted`,
        `metadata.labels[pod-security.kubernetes.io/warn-version]: "1.2": must be "latest" or "v1.x"`,
      ],
    },
  ];
  for (const tc of table) {
    it(tc.name, () => {
      const r = policyToEvaluate(tc.labels, DEFAULT_POLICY);
      assert.deepEqual(r.policy, tc.policy);
      assert.deepEqual(r.errors.map((e) => `${e.field}: ${JSON.stringify(e.value)}: ${e.detail}`), tc.errors ?? []);
    });
  }

  it("labels override configured defaults, which fill the rest", () => {
    const defaults = defaultsToPolicy({ enforce: "baseline", warn: "restricted", warnVersion: "v1.29" });
    const r = policyToEvaluate({ "pod-security.kubernetes.io/enforce": "privileged" }, defaults);
    assert.deepEqual(r.policy, p("privileged", "latest", "privileged", "latest", "restricted", 29));
  });

  it("refuses invalid defaults", () => {
    assert.throws(() => defaultsToPolicy({ audit: "strict" }), /defaults\.audit: Invalid value: "strict"/);
    assert.throws(() => defaultsToPolicy({ enforceVersion: "1.2" }), /must be "latest" or "v1.x"/);
  });
});
