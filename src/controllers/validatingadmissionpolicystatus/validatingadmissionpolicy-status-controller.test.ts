import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValidatingAdmissionPolicy } from "kubernetes-types/admissionregistration/v1.js";
import { policyStatus } from "./validatingadmissionpolicy-status-controller.js";

const policy = (generation: number, observedGeneration?: number): ValidatingAdmissionPolicy =>
  ({ metadata: { name: "p", generation }, spec: { validations: [{ expression: "true" }] }, ...(observedGeneration ? { status: { observedGeneration } } : {}) });

describe("policyStatus", () => {
  it("observes a new generation, with the type checker's warnings or an empty typeChecking", async () => {
    assert.deepEqual(await policyStatus(policy(1), () => []), { observedGeneration: 1, typeChecking: {} });
    const warning = { fieldRef: "spec.validations[0].expression", warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'foo'" };
    assert.deepEqual(await policyStatus(policy(3, 2), () => [warning]), { observedGeneration: 3, typeChecking: { expressionWarnings: [warning] } });
  });

  it("writes nothing for a generation it has observed", async () => {
    let checked = 0;
    assert.equal(await policyStatus(policy(2, 2), () => { checked++; return []; }), undefined);
    assert.equal(checked, 0, "no type check either");
  });
});
