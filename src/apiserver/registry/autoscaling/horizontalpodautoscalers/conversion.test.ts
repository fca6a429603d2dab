import assert from "node:assert/strict";
import { it } from "node:test";
import type { Obj } from "../../object-store.js";
import { autoscalingV1 } from "./conversion.js";

/** The fields these tests read back. */
type Converted = Obj & {
  spec: { metrics?: unknown; targetCPUUtilizationPercentage?: number; behavior: { scaleDown: { stabilizationWindowSeconds: number } } };
  status: { conditions?: unknown };
  metadata: { annotations: Record<string, string> };
};

it("HorizontalPodAutoscaler v1 round-trips through v2 storage", () => {
  const v1 = { apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata: { name: "h" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web", apiVersion: "apps/v1" }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 } };
  const stored = autoscalingV1.toStorage(v1) as Converted;
  assert.equal(stored.apiVersion, "autoscaling/v2");
  assert.deepEqual(stored.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
  assert.equal(stored.spec.targetCPUUtilizationPercentage, undefined);
  assert.deepEqual(autoscalingV1.fromStorage(stored), v1);
});

it("what v1 cannot say travels in annotations and comes back", () => {
  const v2 = {
    apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "h" },
    spec: {
      scaleTargetRef: { kind: "Deployment", name: "web", apiVersion: "apps/v1" }, minReplicas: 1, maxReplicas: 5,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
        { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "100Mi" } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 15 }] } },
    },
    status: { currentReplicas: 2, desiredReplicas: 2, conditions: [{ type: "AbleToScale", status: "True", reason: "ReadyForNewScale" }] },
  };
  const v1 = autoscalingV1.fromStorage(v2) as Converted;
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  assert.equal(v1.spec.metrics, undefined);
  assert.ok(v1.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"].includes("memory"));
  const back = autoscalingV1.toStorage(v1) as Converted;
  assert.deepEqual(back.spec.metrics, v2.spec.metrics);
  assert.equal(back.spec.behavior.scaleDown.stabilizationWindowSeconds, 30);
  assert.deepEqual(back.status.conditions, v2.status.conditions);
  assert.equal(back.metadata.annotations, undefined);
});
