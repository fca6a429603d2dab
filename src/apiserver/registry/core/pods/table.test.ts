import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podTable } from "./table.js";

describe("pod table", () => {
  it("prints pods with ready containers, status and restarts", () => {
    assert.deepEqual(podTable.columns.map((c) => [c.name, c.priority]), [["Name", 0], ["Ready", 0], ["Status", 0], ["Restarts", 0], ["Age", 0], ["IP", 1], ["Node", 1], ["Nominated Node", 1], ["Readiness Gates", 1]]);
    const now = Date.parse("2026-01-01T00:01:00Z");
    const row = podTable.row({
      metadata: { name: "web-1", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { containers: [{ name: "a" }, { name: "b" }], nodeName: "n1" },
      status: { phase: "Running", podIP: "10.244.0.5", containerStatuses: [
        { name: "a", ready: true, restartCount: 0, state: { running: {} }, image: "a", imageID: "" },
        { name: "b", ready: false, restartCount: 2, state: { waiting: { reason: "CrashLoopBackOff" } }, image: "b", imageID: "" },
      ] },
    }, now);
    assert.deepEqual(row.slice(0, 7), ["web-1", "1/2", "CrashLoopBackOff", "2", "60s", "10.244.0.5", "n1"]);
  });

  it("prints an init container's progress and a pod being deleted", () => {
    const now = Date.now();
    const pod = {
      metadata: { name: "p", creationTimestamp: new Date(now).toISOString() },
      spec: { initContainers: [{ name: "i1" }, { name: "i2" }], containers: [{ name: "c" }] },
      status: { phase: "Pending", initContainerStatuses: [
        { name: "i1", ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } }, image: "i", imageID: "" },
        { name: "i2", ready: false, restartCount: 1, state: { running: {} }, image: "i", imageID: "" },
      ] },
    };
    assert.deepEqual(podTable.row(pod, now).slice(1, 4), ["0/1", "Init:1/2", "1"]);
    assert.equal(podTable.row({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(now).toISOString() } }, now)[2], "Terminating");
  });
});
