import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "../../metrics/index.js";
import { AdmissionChain } from "./chain.js";
import { AdmissionMetrics } from "./metrics.js";
import type { AdmissionAttributes, AdmissionPlugin } from "./admission.js";

const attrs = { operation: "CREATE", object: {}, namespace: "d", name: "p", subresource: "", dryRun: false } as unknown as AdmissionAttributes;

describe("AdmissionChain metrics", () => {
  it("times each step and each plugin by operation, marking the one that rejected", async () => {
    const registry = new Registry();
    const order: string[] = [];
    const plugins: AdmissionPlugin[] = [
      { name: "NamespaceLifecycle", admit: () => { order.push("admit NamespaceLifecycle"); }, validate: () => { order.push("validate NamespaceLifecycle"); } },
      { name: "ResourceQuota", validate: () => { throw new Error("exceeded quota"); } },
    ] as AdmissionPlugin[];
    const chain = new AdmissionChain(plugins, new AdmissionMetrics(registry));
    await chain.admit(attrs);
    await assert.rejects(chain.validate(attrs), /exceeded quota/);
    assert.deepEqual(order, ["admit NamespaceLifecycle", "validate NamespaceLifecycle"]);
    const text = await registry.metrics();
    assert.match(text, /^apiserver_admission_step_admission_duration_seconds_count\{type="admit",operation="CREATE",rejected="false"\} 1$/m);
    assert.match(text, /^apiserver_admission_step_admission_duration_seconds_count\{type="validate",operation="CREATE",rejected="true"\} 1$/m);
    assert.match(text, /^apiserver_admission_controller_admission_duration_seconds_count\{name="NamespaceLifecycle",type="validate",operation="CREATE",rejected="false"\} 1$/m);
    assert.match(text, /^apiserver_admission_controller_admission_duration_seconds_count\{name="ResourceQuota",type="validate",operation="CREATE",rejected="true"\} 1$/m);
    assert.doesNotMatch(text, /name="ResourceQuota",type="admit"/, "a plugin without a mutating step is not timed for one");
  });
});
