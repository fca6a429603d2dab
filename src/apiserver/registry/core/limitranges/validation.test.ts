import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimitRangeItem } from "kubernetes-types/core/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import { defaultLimitRange } from "./defaults.js";
import { validateLimitRange } from "./validation.js";

/** The messages kubectl would show for a LimitRange with these items, after the server's defaults. */
function problems(...limits: LimitRangeItem[]): string[] {
  const lr = { metadata: { name: "l", namespace: "ns" }, spec: { limits } };
  defaultLimitRange(lr);
  return validateLimitRange(lr).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
}

describe("LimitRange defaults", () => {
  it("fills a Container item's default from max and defaultRequest from default, then min", () => {
    const lr = { spec: { limits: [{ type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" } }, { type: "Pod", max: { cpu: "2" } }] } };
    defaultLimitRange(lr);
    assert.deepEqual(lr.spec.limits[0], { type: "Container", max: { cpu: "1" }, min: { memory: "64Mi" }, default: { cpu: "1" }, defaultRequest: { cpu: "1", memory: "64Mi" } });
    assert.deepEqual(lr.spec.limits[1], { type: "Pod", max: { cpu: "2" } }, "only Container items get defaults");
  });
});

describe("LimitRange validation", () => {
  const cases: [string, LimitRangeItem[], string[]][] = [
    ["a sound Container item", [{ type: "Container", min: { cpu: "100m" }, max: { cpu: "1" }, default: { cpu: "500m" }, defaultRequest: { cpu: "200m" }, maxLimitRequestRatio: { cpu: "5" } }], []],
    ["min over max", [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" }, default: { cpu: "1" }, defaultRequest: { cpu: "2" } }], [
      `spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`,
      `spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than max value 1`,
      `spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1`,
      `spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1`,
    ]],
    ["a default over max", [{ type: "Container", max: { memory: "1Gi" }, default: { memory: "2Gi" }, defaultRequest: { memory: "1Gi" } }], [
      `spec.limits[0].default[memory]: Invalid value: "1Gi": default value 2Gi is greater than max value 1Gi`,
    ]],
    ["a ratio below 1", [{ type: "Container", maxLimitRequestRatio: { cpu: "500m" } }], [`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1`]],
    ["a ratio min and max cannot allow", [{ type: "Container", min: { cpu: "500m" }, max: { cpu: "1" }, maxLimitRequestRatio: { cpu: "3" } }], [
      `spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000`,
    ]],
    ["defaults on a Pod item", [{ type: "Pod", max: { cpu: "1" }, default: { cpu: "1" } }], ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]],
    ["a claim item without storage bounds", [{ type: "PersistentVolumeClaim", max: { cpu: "1" } }], [
      "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
    ]],
    ["a type twice", [{ type: "Pod", max: { cpu: "1" } }, { type: "Pod", max: { cpu: "2" } }], [`spec.limits[1].type: Duplicate value: "Pod"`]],
    ["an unknown type", [{ type: "Volume", max: { cpu: "1" } }], [`spec.limits[0].type: Invalid value: "Volume": must be a standard limit type or fully qualified`]],
    ["a resource no container has", [{ type: "Container", max: { storage: "1Gi" } }], [
      `spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers`,
      `spec.limits[0].default[storage]: Invalid value: "storage": must be a standard resource for containers`,
      `spec.limits[0].defaultRequest[storage]: Invalid value: "storage": must be a standard resource for containers`,
    ]],
  ];
  for (const [name, limits, want] of cases) it(name, () => assert.deepEqual(problems(...limits), want));
});
