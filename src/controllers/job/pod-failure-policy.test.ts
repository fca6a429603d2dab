import assert from "node:assert/strict";
import { it } from "node:test";
import type { PodFailurePolicy } from "kubernetes-types/batch/v1.js";
import type { Pod, PodCondition } from "kubernetes-types/core/v1.js";
import { matchPodFailurePolicy } from "./pod-failure-policy.js";

const failedPod = (codes: Record<string, number>, conditions: PodCondition[] = []): Pod => ({
  metadata: { name: "job-x", namespace: "default" },
  status: { phase: "Failed", conditions, containerStatuses: Object.entries(codes).map(([name, exitCode]) => ({ name, image: "busybox", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode } } })) },
});

const policy: PodFailurePolicy = {
  rules: [
    { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
    { action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [42] } },
    { action: "Count", onExitCodes: { operator: "NotIn", values: [1, 2] } },
  ],
};

it("takes the first matching rule, with upstream's message", () => {
  assert.deepEqual(matchPodFailurePolicy(policy, failedPod({ main: 42 })), {
    action: "FailJob", index: 1, message: "Container main for pod default/job-x failed with exit code 42 matching FailJob rule at index 1",
  });
  assert.equal(matchPodFailurePolicy(policy, failedPod({ main: 42 }, [{ type: "DisruptionTarget", status: "True" }]))?.action, "Ignore");
});

it("honours containerName, NotIn, and ignores exit code 0", () => {
  assert.equal(matchPodFailurePolicy(policy, failedPod({ sidecar: 42 }))?.action, "Count", "42 in another container is NotIn [1, 2]");
  assert.equal(matchPodFailurePolicy(policy, failedPod({ main: 1 })), undefined);
  assert.equal(matchPodFailurePolicy(policy, failedPod({ main: 0, other: 2 })), undefined);
  assert.equal(matchPodFailurePolicy(undefined, failedPod({ main: 42 })), undefined);
});
