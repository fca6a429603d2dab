import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import { perPodReplicas, plainMetricReplicas, resourceReplicas, usageRatioReplicas, type PodMetricsInfo, type ReplicaCalculatorOptions } from "./replica-calculator.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const options: ReplicaCalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, delayOfInitialReadinessStatusMs: 30_000, now: () => NOW };
const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** A running, ready pod that started an hour ago and requests 100m cpu, unless told otherwise. */
function newPod(name: string, o: { phase?: string; ready?: "True" | "False" | null; startedAgoMs?: number; readySinceAgoMs?: number; cpu?: string | null; deleting?: boolean } = {}): Pod {
  const ready = o.ready === undefined ? "True" : o.ready;
  return {
    metadata: { name, namespace: "default", ...(o.deleting ? { deletionTimestamp: ago(0) } : {}) },
    spec: { containers: [{ name: "c", image: "i", resources: o.cpu === null ? {} : { requests: { cpu: o.cpu ?? "100m" } } }] },
    status: {
      phase: o.phase ?? "Running", startTime: ago(o.startedAgoMs ?? 3_600_000),
      conditions: ready === null ? [] : [{ type: "Ready", status: ready, lastTransitionTime: ago(o.readySinceAgoMs ?? 3_500_000) }],
    },
  };
}

/** Samples in millicores, taken now over 10 s. */
function samples(values: Record<string, number>, takenAgoMs = 0): PodMetricsInfo {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestamp: NOW - takenAgoMs, windowMs: 10_000 }]));
}

describe("resourceReplicas (Utilization)", () => {
  const cases: { name: string; current: number; target: number; pods: Pod[]; metrics: PodMetricsInfo; want: number; utilization?: number }[] = [
    { name: "scales up in proportion to the usage", current: 2, target: 50, pods: [newPod("a"), newPod("b")], metrics: samples({ a: 250, b: 250 }), want: 10, utilization: 250 },
    { name: "scales down in proportion", current: 4, target: 50, pods: ["a", "b", "c", "d"].map((n) => newPod(n)), metrics: samples({ a: 10, b: 10, c: 10, d: 10 }), want: 1, utilization: 10 },
    { name: "keeps the count within the tolerance", current: 3, target: 50, pods: [newPod("a"), newPod("b"), newPod("c")], metrics: samples({ a: 54, b: 54, c: 54 }), want: 3, utilization: 54 },
    { name: "leaves the tolerance at 11%", current: 3, target: 50, pods: [newPod("a"), newPod("b"), newPod("c")], metrics: samples({ a: 56, b: 56, c: 56 }), want: 4 },
    // a=200m of 100m: 200% against 50% → ratio 4; the missing pod counts as 0 → (200+0)/200 = 100% → ratio 2 over 2 pods.
    { name: "a pod without a sample counts as using nothing on a scale-up", current: 2, target: 50, pods: [newPod("a"), newPod("b")], metrics: samples({ a: 200 }), want: 4, utilization: 200 },
    // a=10m: 10% → scale-down; the missing pod counts as its whole request (100%) → 55% → within tolerance of 50%.
    { name: "a pod without a sample counts as its whole request on a scale-down", current: 2, target: 50, pods: [newPod("a"), newPod("b")], metrics: samples({ a: 10 }), want: 2 },
    { name: "pending pods are left out", current: 2, target: 50, pods: [newPod("a"), newPod("b", { phase: "Pending" })], metrics: samples({ a: 100 }), want: 2 },
    { name: "a pod being deleted is not counted", current: 3, target: 50, pods: [newPod("a"), newPod("b"), newPod("c", { deleting: true })], metrics: samples({ a: 100, b: 100 }), want: 4 },
    // b is unready: left out; ratio (a alone) 300/50 = 6 > 1, so b counts as 0: (300+0)/200 = 150% → 3 × 2 = 6.
    { name: "an unready pod counts as using nothing on a scale-up", current: 2, target: 50, pods: [newPod("a"), newPod("b", { ready: "False", startedAgoMs: 60_000, readySinceAgoMs: 60_000 })], metrics: samples({ a: 300, b: 300 }), want: 6 },
    { name: "a starting pod's sample taken before a window of readiness is left out", current: 2, target: 50, pods: [newPod("a"), newPod("b", { startedAgoMs: 20_000, readySinceAgoMs: 5_000 })], metrics: samples({ a: 50, b: 500 }), want: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = resourceReplicas(c.current, c.target, "cpu", "", c.pods, c.metrics, options);
      assert.equal(got.replicas, c.want);
      if (c.utilization !== undefined) assert.equal(got.utilization, c.utilization);
    });
  }

  it("memory ignores readiness", () => {
    const pods = [newPod("a"), newPod("b", { ready: "False", startedAgoMs: 60_000, readySinceAgoMs: 60_000 })].map((p) => ({ ...p, spec: { containers: [{ name: "c", image: "i", resources: { requests: { memory: "100Mi" } } }] } }));
    const mi = 2 ** 20 * 1000;
    const got = resourceReplicas(2, 50, "memory", "", pods, samples({ a: 100 * mi, b: 100 * mi }), options);
    assert.equal(got.replicas, 4);
  });

  it("refuses pods without a request, no pods, and no samples, with upstream's messages", () => {
    assert.throws(() => resourceReplicas(1, 50, "cpu", "", [newPod("a", { cpu: null })], samples({ a: 10 }), options), /missing request for cpu in container c of Pod a/);
    assert.throws(() => resourceReplicas(1, 50, "cpu", "", [], samples({}), options), /no pods returned by selector while calculating replica count/);
    assert.throws(() => resourceReplicas(1, 50, "cpu", "", [newPod("a", { phase: "Pending" })], samples({ a: 1 }), options), /did not receive metrics for targeted pods/);
  });

  it("a ContainerResource counts the named container only", () => {
    const pod: Pod = { ...newPod("a"), spec: { containers: [{ name: "app", image: "i", resources: { requests: { cpu: "100m" } } }, { name: "side", image: "i", resources: { requests: { cpu: "900m" } } }] } };
    assert.equal(resourceReplicas(1, 50, "cpu", "app", [pod], samples({ a: 100 }), options).replicas, 2);
  });
});

describe("plainMetricReplicas (AverageValue)", () => {
  it("divides the average by the target", () => {
    const got = plainMetricReplicas(2, 100, "cpu", [newPod("a"), newPod("b")], samples({ a: 300, b: 300 }), options);
    assert.deepEqual(got, { replicas: 6, usage: 300 });
  });
  it("keeps the count within the tolerance", () => {
    assert.equal(plainMetricReplicas(2, 100, "cpu", [newPod("a"), newPod("b")], samples({ a: 105, b: 95 }), options).replicas, 2);
  });
});

describe("replicas from one quantity (Object and External metrics)", () => {
  it("a Value target scales the Running and Ready pods, or from zero the ratio itself", () => {
    const pods = [newPod("a"), newPod("b"), newPod("c", { ready: "False" }), newPod("d", { phase: "Pending" })];
    assert.equal(usageRatioReplicas(4, 300, 100, pods, options), 6);
    assert.equal(usageRatioReplicas(4, 105, 100, pods, options), 4, "within the tolerance");
    assert.equal(usageRatioReplicas(0, 250, 100, [], options), 3);
    assert.throws(() => usageRatioReplicas(2, 300, 100, [], options), { message: "unable to calculate ready pods: no pods returned by selector while calculating replica count" });
  });
  it("an AverageValue target divides by the target unless the status' replicas are within the tolerance", () => {
    assert.deepEqual(perPodReplicas(2, 250, 50, options), { replicas: 5, usage: 125 });
    assert.deepEqual(perPodReplicas(5, 260, 50, options), { replicas: 5, usage: 52 });
    assert.deepEqual(perPodReplicas(0, 260, 50, options), { replicas: 6, usage: 260 });
  });
  it("an AverageValue of pods leaves out samples of pods being deleted", () => {
    // c is going: its 1000 must not count; a and b at 10 against 10 → unchanged.
    const got = plainMetricReplicas(2, 10, "", [newPod("a"), newPod("b"), newPod("c", { deleting: true })], samples({ a: 10, b: 10, c: 1000 }), options);
    assert.deepEqual(got, { replicas: 2, usage: 10 });
  });
});
