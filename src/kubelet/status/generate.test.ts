import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PodSpec } from "kubernetes-types/core/v1.js";
import { generatePodStatus, type ReportedPodStatus, type StatusInputs } from "./generate.js";
import type { ContainerStatus } from "../kuberuntime/runtime.js";
import type { ProberManager } from "../prober/prober-manager.js";
import type { Pod } from "../types.js";

const pod = (spec: Partial<PodSpec>): Pod => ({ metadata: { name: "p", namespace: "default", uid: "u" }, spec: { containers: [{ name: "app", image: "i" }], ...spec } });

function container(name: string, state: ContainerStatus["state"], exitCode = 0): ContainerStatus {
  return {
    id: `id-${name}`, metadata: { name, attempt: 0 }, state, createdAt: 1, startedAt: 1e9, finishedAt: state === "CONTAINER_EXITED" ? 2e9 : 0,
    exitCode, image: { image: "i" }, imageRef: "i", reason: "", message: "", labels: {}, annotations: {}, logPath: "",
  };
}

const prober = { started: () => true, ready: () => true } as unknown as ProberManager;

function status(p: Pod, containers: ContainerStatus[], extra: Partial<StatusInputs> = {}): ReportedPodStatus {
  return generatePodStatus({
    pod: p, rt: { sandboxes: [{ state: "SANDBOX_READY" }] as unknown as StatusInputs["rt"]["sandboxes"], containers }, state: { waiting: new Map(), startTime: "2026-01-01T00:00:00Z" },
    prober, hostIP: "10.0.0.1", runtimeName: "containerd", terminationMessage: () => "", ...extra,
  });
}

function condition(s: ReportedPodStatus, type: string) {
  const c = s.conditions?.find((x) => x.type === type);
  assert.ok(c, `no ${type} condition in ${JSON.stringify(s.conditions)}`);
  return c;
}

describe("generatePodStatus", () => {
  const twoInits = pod({ restartPolicy: "Never", initContainers: [{ name: "init1", image: "i" }, { name: "init2", image: "i" }] });

  it("shows app containers and init containers not started yet as PodInitializing while init containers run", () => {
    const s = status(twoInits, [container("init1", "CONTAINER_RUNNING")]);
    assert.equal(s.phase, "Pending");
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: "PodInitializing" } });
    assert.deepEqual(s.initContainerStatuses?.[1]?.state, { waiting: { reason: "PodInitializing" } });
    const init = condition(s, "Initialized");
    assert.equal(init.status, "False");
    assert.equal(init.reason, "ContainersNotInitialized");
    assert.equal(init.message, "containers with incomplete status: [init1 init2]");
  });

  it("fails a RestartPolicy=Never pod whose init container fails, not Initialized, the app never started", () => {
    const s = status(twoInits, [container("init1", "CONTAINER_EXITED", 1)]);
    assert.equal(s.phase, "Failed");
    const init = condition(s, "Initialized");
    assert.deepEqual([init.status, init.reason, init.message], ["False", "ContainersNotInitialized", "containers with incomplete status: [init1 init2]"]);
    assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: "PodInitializing" } });
    assert.equal(condition(s, "Ready").reason, "PodFailed");
  });

  it("is Initialized once every init container succeeded, and a pod without any starts with ContainerCreating", () => {
    const s = status(twoInits, [container("init2", "CONTAINER_EXITED"), container("init1", "CONTAINER_EXITED"), container("app", "CONTAINER_RUNNING")]);
    assert.equal(s.phase, "Running");
    assert.equal(condition(s, "Initialized").status, "True");
    assert.equal(condition(s, "Initialized").reason, undefined);
    assert.deepEqual(status(pod({}), []).containerStatuses?.[0]?.state, { waiting: { reason: "ContainerCreating" } });
  });

  it("fails an evicted pod with its reason and message, whatever its containers say", () => {
    const s = status(pod({}), [container("app", "CONTAINER_RUNNING")], { evicted: { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" } });
    assert.deepEqual([s.phase, s.reason, s.message], ["Failed", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"]);
    assert.deepEqual([condition(s, "Ready").status, condition(s, "Ready").reason], ["False", "PodFailed"]);
  });
});
