import assert from "node:assert/strict";
import { it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { nodeSummary, podUsage } from "./sim-usage.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");

function newPod(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name: "p", namespace: "default", uid: "u1", annotations },
    spec: { containers: [
      { name: "a", image: "i", resources: { requests: { cpu: "300m", memory: "100Mi" } } },
      { name: "b", image: "i", resources: { requests: { cpu: "100m", memory: "100Mi" } } },
    ] },
    status: { phase: "Running", startTime: new Date(NOW - 10_000).toISOString() },
  };
}

it("a fraction of the requests, within the noise", () => {
  const u = podUsage(newPod(), { fraction: 0.5, noise: 0.1 }, NOW);
  const a = u.containers[0]!.cpu.usageNanoCores!;
  assert.ok(a >= 0.135e9 && a <= 0.165e9, `container a uses ${a}n, not 150m ± 10%`);
  const mem = u.containers[1]!.memory.workingSetBytes!;
  assert.ok(mem >= 45 * 2 ** 20 && mem <= 55 * 2 ** 20);
});

it("the annotations set the pod's usage, split by requests, without noise", () => {
  const u = podUsage(newPod({ "skiff.dev/simulated-cpu-usage": "400m", "skiff.dev/simulated-memory-usage": "1Gi" }), { fraction: 0.1, noise: 0.5 }, NOW);
  assert.deepEqual(u.containers.map((c) => c.cpu.usageNanoCores), [300e6, 100e6]);
  assert.equal(u.cpu.usageNanoCores, 400e6);
  assert.equal(u.memory.workingSetBytes, 2 ** 30);
  // Cumulative cpu time grows with the time the pod has run.
  assert.equal(u.cpu.usageCoreNanoSeconds, 400e6 * 10);
});

it("the node's usage is its pods'", () => {
  const s = nodeSummary("n", new Date(NOW).toISOString(), 2 ** 34, [newPod({ "skiff.dev/simulated-cpu-usage": "1" })], { fraction: 0.1, noise: 0 }, NOW);
  assert.equal(s.node.cpu.usageNanoCores, 1e9);
  assert.equal(s.pods.length, 1);
  assert.equal(s.node.memory.availableBytes, 2 ** 34 - s.node.memory.workingSetBytes!);
});
