import assert from "node:assert/strict";
import { it } from "node:test";
import { autoscalingV1 } from "./conversion.js";

it("HorizontalPodAutoscaler v1 round-trips through v2 storage", () => {
  const v1 = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web", apiVersion: "apps/v1" }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 } };
  const stored = autoscalingV1.toStorage(v1);
  assert.equal(stored.apiVersion, "autoscaling/v2");
  assert.deepEqual(stored.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
  assert.equal(stored.spec.targetCPUUtilizationPercentage, undefined);
  assert.deepEqual(autoscalingV1.fromStorage(stored), v1);
});
