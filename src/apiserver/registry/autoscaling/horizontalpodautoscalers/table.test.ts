import assert from "node:assert/strict";
import { it } from "node:test";
import type { MetricSpec } from "kubernetes-types/autoscaling/v2.js";
import { formatHpaMetrics } from "./table.js";

const cpu: MetricSpec = { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } };
const memory: MetricSpec = { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "100Mi" } } };
const pods: MetricSpec = { type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: "10" } } };

it("TARGETS as upstream prints them", () => {
  const cases: [MetricSpec[], Parameters<typeof formatHpaMetrics>[1], string][] = [
    [[cpu], undefined, "cpu: <unknown>/50%"],
    [[cpu], [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 250, averageValue: "250m" } } }], "cpu: 250%/50%"],
    [[cpu, memory], [{ type: "" }, { type: "Resource", resource: { name: "memory", current: { averageValue: "52Mi" } } }], "cpu: <unknown>/50%, memory: 52Mi/100Mi"],
    [[cpu, memory, pods], undefined, "cpu: <unknown>/50%, memory: <unknown>/100Mi + 1 more..."],
    [[], undefined, "<none>"],
  ];
  for (const [specs, statuses, want] of cases) assert.equal(formatHpaMetrics(specs, statuses), want);
});
