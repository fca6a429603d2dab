import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { HorizontalPodAutoscaler, MetricSpec } from "kubernetes-types/autoscaling/v2.js";
import { computeReplicasForMetrics, goLabelSelector, type ComputeContext } from "./compute-metrics.js";
import type { MetricsClient } from "./metrics-client.js";
import type { PodMetricsInfo } from "./replica-calculator.js";

const NOW = Date.parse("2026-12-03T07:00:00Z");

function pod(name: string, ready = true): Pod {
  return {
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { containers: [{ name: "c", image: "i" }] },
    status: { phase: "Running", startTime: new Date(NOW - 3_600_000).toISOString(), conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date(NOW - 3_000_000).toISOString() }] },
  };
}

/** A metrics client with fixed values, keeping what it was asked; an absent value fails as a server without the metric would. */
function fakeMetrics(values: { pods?: Record<string, number>; object?: number; external?: number[] }) {
  const asked: unknown[][] = [];
  const client: MetricsClient = {
    getResourceMetric: () => Promise.reject(new Error("not used")),
    getRawMetric: async (...args) => {
      asked.push(["raw", ...args]);
      if (!values.pods) throw new Error("unable to fetch metrics from custom metrics API: the server could not find the requested resource");
      const metrics: PodMetricsInfo = new Map(Object.entries(values.pods).map(([k, v]) => [k, { value: v, timestamp: NOW, windowMs: 60_000 }]));
      return { metrics, timestamp: NOW };
    },
    getObjectMetric: async (...args) => {
      asked.push(["object", ...args]);
      if (values.object === undefined) throw new Error("unable to fetch metrics from custom metrics API: the server could not find the requested resource");
      return { value: values.object, timestamp: NOW };
    },
    getExternalMetric: async (...args) => {
      asked.push(["external", ...args]);
      if (!values.external) throw new Error("unable to fetch metrics from external metrics API: the server could not find the requested resource");
      return { values: values.external, timestamp: NOW };
    },
  };
  return { client, asked };
}

function context(metrics: MetricsClient, pods: Pod[], specReplicas: number, statusReplicas = specReplicas) {
  const events: [string, string][] = [];
  const hpa: HorizontalPodAutoscaler = { metadata: { name: "h", namespace: "default" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 10 } };
  const ctx: ComputeContext = {
    hpa, metrics, pods, selector: "app=web", specReplicas, statusReplicas,
    calc: { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000, now: () => NOW },
    warn: (reason, message) => events.push([reason, message]),
  };
  return { ctx, events };
}

const podsSpec: MetricSpec = { type: "Pods", pods: { metric: { name: "requests_per_second" }, target: { type: "AverageValue", averageValue: "10" } } };

describe("computeReplicasForMetrics: Pods metrics", () => {
  it("asks for the target's pods and divides their average by the target", async () => {
    // 2 pods at 30 and 20 per second: average 25 over 10 → ceil(2.5 × 2) = 5.
    const m = fakeMetrics({ pods: { a: 30_000, b: 20_000 } });
    const { ctx } = context(m.client, [pod("a"), pod("b")], 2);
    const got = await computeReplicasForMetrics(ctx, [podsSpec]);
    assert.equal(got.replicas, 5);
    assert.equal(got.metric, "pods metric requests_per_second");
    assert.deepEqual(got.statuses, [{ type: "Pods", pods: { metric: { name: "requests_per_second" }, current: { averageValue: "25" } } }]);
    assert.deepEqual(m.asked, [["raw", "requests_per_second", "default", "app=web", ""]]);
  });

  it("passes the metric's selector and keeps it in the status", async () => {
    const m = fakeMetrics({ pods: { a: 10_500 } });
    const spec: MetricSpec = { type: "Pods", pods: { metric: { name: "rps", selector: { matchLabels: { verb: "GET" } } }, target: { type: "AverageValue", averageValue: "10" } } };
    const got = await computeReplicasForMetrics(context(m.client, [pod("a")], 1).ctx, [spec]);
    assert.equal(got.replicas, 1, "within the tolerance");
    assert.deepEqual(got.statuses[0], { type: "Pods", pods: { metric: { name: "rps", selector: { matchLabels: { verb: "GET" } } }, current: { averageValue: "10500m" } } });
    assert.equal(m.asked[0]![4], "verb=GET");
  });

  it("a pod without a sample counts as using nothing on a scale-up", async () => {
    // a at 40 → ratio 4; b counted as 0 → average 20 → ratio 2 over 2 pods = 4.
    const got = await computeReplicasForMetrics(context(fakeMetrics({ pods: { a: 40_000 } }).client, [pod("a"), pod("b")], 2).ctx, [podsSpec]);
    assert.equal(got.replicas, 4);
  });

  it("fails with FailedGetPodsMetric when the metric cannot be read", async () => {
    const { ctx, events } = context(fakeMetrics({}).client, [pod("a")], 1);
    const got = await computeReplicasForMetrics(ctx, [podsSpec]);
    assert.equal(got.replicas, -1);
    assert.equal(got.error?.reason, "FailedGetPodsMetric");
    const cause = "unable to get metric requests_per_second: unable to fetch metrics from custom metrics API: the server could not find the requested resource";
    assert.equal(got.error?.conditionMessage, `the HPA was unable to compute the replica count: ${cause}`);
    assert.equal(got.error?.message, `invalid metrics (1 invalid out of 1), first error is: failed to get pods metric value: ${cause}`);
    assert.deepEqual(events, [["FailedGetPodsMetric", cause]]);
  });
});

describe("computeReplicasForMetrics: Object metrics", () => {
  const described = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: "main" };
  it("a Value target scales the ready pods by the ratio", async () => {
    // 300 against 100 → ratio 3 × 2 ready pods (the third is unready) = 6.
    const m = fakeMetrics({ object: 300_000 });
    const spec: MetricSpec = { type: "Object", object: { describedObject: described, metric: { name: "hits" }, target: { type: "Value", value: "100" } } };
    const got = await computeReplicasForMetrics(context(m.client, [pod("a"), pod("b"), pod("c", false)], 3).ctx, [spec]);
    assert.equal(got.replicas, 6);
    assert.equal(got.metric, "Ingress metric hits");
    assert.deepEqual(got.statuses, [{ type: "Object", object: { describedObject: described, metric: { name: "hits" }, current: { value: "300" } } }]);
    assert.deepEqual(m.asked, [["object", "hits", "default", described, ""]]);
  });

  it("an AverageValue target divides the value by the target, the status per replica", async () => {
    const m = fakeMetrics({ object: 250_000 });
    const spec: MetricSpec = { type: "Object", object: { describedObject: described, metric: { name: "hits" }, target: { type: "AverageValue", averageValue: "50" } } };
    const got = await computeReplicasForMetrics(context(m.client, [pod("a"), pod("b")], 2).ctx, [spec]);
    assert.equal(got.replicas, 5);
    assert.deepEqual(got.statuses, [{ type: "Object", object: { metric: { name: "hits" }, current: { averageValue: "125" } } }]);
  });

  it("fails with FailedGetObjectMetric in upstream's words", async () => {
    const { ctx, events } = context(fakeMetrics({}).client, [pod("a")], 1);
    const spec: MetricSpec = { type: "Object", object: { describedObject: described, metric: { name: "hits" }, target: { type: "Value", value: "100" } } };
    const got = await computeReplicasForMetrics(ctx, [spec]);
    assert.equal(got.error?.reason, "FailedGetObjectMetric");
    assert.deepEqual(events, [["FailedGetObjectMetric", "unable to get metric hits: Ingress on default main/unable to fetch metrics from custom metrics API: the server could not find the requested resource"]]);
    assert.match(got.error!.message, /first error is: failed to get object metric value: unable to get metric hits: Ingress on default main\//);
  });
});

describe("computeReplicasForMetrics: External metrics", () => {
  const selector = { matchLabels: { queue: "worker" } };
  it("a Value target sums the series and scales the ready pods", async () => {
    // 30 + 20 = 50 against 10 → ratio 5 × 1 ready pod = 5.
    const m = fakeMetrics({ external: [30_000, 20_000] });
    const spec: MetricSpec = { type: "External", external: { metric: { name: "queue_length", selector }, target: { type: "Value", value: "10" } } };
    const got = await computeReplicasForMetrics(context(m.client, [pod("a")], 1).ctx, [spec]);
    assert.equal(got.replicas, 5);
    assert.equal(got.metric, "external metric queue_length(&LabelSelector{MatchLabels:map[string]string{queue: worker,},MatchExpressions:[]LabelSelectorRequirement{},})");
    assert.deepEqual(got.statuses, [{ type: "External", external: { metric: { name: "queue_length", selector }, current: { value: "50" } } }]);
    assert.deepEqual(m.asked, [["external", "queue_length", "default", "queue=worker"]]);
  });

  it("an AverageValue target divides the sum by the target per pod", async () => {
    // 45 over 10 per pod → 5 replicas; status 45 / 3 current = 15 per pod.
    const spec: MetricSpec = { type: "External", external: { metric: { name: "queue_length" }, target: { type: "AverageValue", averageValue: "10" } } };
    const got = await computeReplicasForMetrics(context(fakeMetrics({ external: [45_000] }).client, [pod("a"), pod("b"), pod("c")], 3).ctx, [spec]);
    assert.equal(got.replicas, 5);
    assert.equal(got.metric, "external metric queue_length(nil)");
    assert.deepEqual(got.statuses, [{ type: "External", external: { metric: { name: "queue_length" }, current: { averageValue: "15" } } }]);
  });

  it("fails with FailedGetExternalMetric in upstream's words", async () => {
    const { ctx, events } = context(fakeMetrics({}).client, [pod("a")], 1);
    const spec: MetricSpec = { type: "External", external: { metric: { name: "queue_length" }, target: { type: "Value", value: "10" } } };
    const got = await computeReplicasForMetrics(ctx, [spec]);
    const cause = "unable to get external metric default/queue_length/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource";
    assert.equal(got.error?.reason, "FailedGetExternalMetric");
    assert.equal(got.error?.conditionMessage, `the HPA was unable to compute the replica count: ${cause}`);
    assert.deepEqual(events, [["FailedGetExternalMetric", cause]]);
    assert.equal(got.error?.message, `invalid metrics (1 invalid out of 1), first error is: failed to get queue_length external metric: failed to get external metric queue_length: ${cause}`);
  });

  it("prints selectors as Go's %+v does", () => {
    assert.equal(goLabelSelector({ matchExpressions: [{ key: "q", operator: "In", values: ["a", "b"] }] }),
      "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:q,Operator:In,Values:[a b],},},}");
  });
});
