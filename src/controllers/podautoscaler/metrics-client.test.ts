import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../api/errors.js";
import { RestMetricsClient } from "./metrics-client.js";

/** A client that answers GETs from a table of paths and keeps what it was asked; anything else is a 404. */
function fakeClient(routes: Record<string, unknown>) {
  const asked: string[] = [];
  return {
    asked,
    request: async <T>(method: string, path: string): Promise<T> => {
      asked.push(`${method} ${path}`);
      if (path in routes) return structuredClone(routes[path]) as T;
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    },
  };
}

const groups = (...versions: string[]) => ({
  kind: "APIGroupList", apiVersion: "v1",
  groups: [
    { name: "apps", versions: [{ groupVersion: "apps/v1", version: "v1" }], preferredVersion: { groupVersion: "apps/v1", version: "v1" } },
    ...(versions.length ? [{ name: "custom.metrics.k8s.io", versions: versions.map((v) => ({ groupVersion: `custom.metrics.k8s.io/${v}`, version: v })), preferredVersion: { groupVersion: `custom.metrics.k8s.io/${versions[0]}`, version: versions[0] } }] : []),
  ],
});
const core = { kind: "APIResourceList", groupVersion: "v1", resources: [{ name: "pods", kind: "Pod", namespaced: true }, { name: "pods/status", kind: "Pod", namespaced: true }] };
const apps = { kind: "APIGroup", name: "apps", preferredVersion: { groupVersion: "apps/v1", version: "v1" } };
const appsV1 = { kind: "APIResourceList", groupVersion: "apps/v1", resources: [{ name: "deployments", kind: "Deployment", namespaced: true }, { name: "deployments/scale", kind: "Scale", namespaced: true }] };
const T = "2026-12-03T07:00:00Z";

describe("RestMetricsClient, custom.metrics.k8s.io", () => {
  it("reads a Pods metric of the selector's pods from v1beta2, as milli-values with their windows", async () => {
    const c = fakeClient({
      "/apis": groups("v1beta2", "v1beta1"), "/api/v1": core,
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/requests_per_second?labelSelector=app%3Dweb": {
        kind: "MetricValueList", apiVersion: "custom.metrics.k8s.io/v1beta2", metadata: {},
        items: [
          { describedObject: { kind: "Pod", namespace: "default", name: "web-1", apiVersion: "/v1" }, metric: { name: "requests_per_second" }, timestamp: T, windowSeconds: 30, value: "1500m" },
          { describedObject: { kind: "Pod", namespace: "default", name: "web-2", apiVersion: "/v1" }, metric: { name: "requests_per_second" }, timestamp: T, value: "3" },
        ],
      },
    });
    const got = await new RestMetricsClient(c).getRawMetric("requests_per_second", "default", "app=web", "");
    assert.deepEqual([...got.metrics], [
      ["web-1", { value: 1500, timestamp: Date.parse(T), windowMs: 30_000 }],
      // No window given: upstream's default of a minute.
      ["web-2", { value: 3000, timestamp: Date.parse(T), windowMs: 60_000 }],
    ]);
    assert.equal(got.timestamp, Date.parse(T));
  });

  it("falls back to v1beta1 when that is the only version served, reading its `window`", async () => {
    const c = fakeClient({
      "/apis": groups("v1beta1"), "/api/v1": core,
      "/apis/custom.metrics.k8s.io/v1beta1/namespaces/ns/pods/*/qps?labelSelector=app%3Dweb&metricLabelSelector=verb%3DGET": {
        kind: "MetricValueList", items: [{ describedObject: { kind: "Pod", name: "p" }, metricName: "qps", timestamp: T, window: 10, value: "7" }],
      },
    });
    const got = await new RestMetricsClient(c).getRawMetric("qps", "ns", "app=web", "verb=GET");
    assert.deepEqual(got.metrics.get("p"), { value: 7000, timestamp: Date.parse(T), windowMs: 10_000 });
  });

  it("says the API is not registered, or returned nothing, in upstream's words", async () => {
    await assert.rejects(new RestMetricsClient(fakeClient({ "/apis": groups() })).getRawMetric("qps", "default", "app=web", ""),
      { message: "unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered" });
    const empty = fakeClient({ "/apis": groups("v1beta2"), "/api/v1": core, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/qps?labelSelector=app%3Dweb": { kind: "MetricValueList", items: [] } });
    await assert.rejects(new RestMetricsClient(empty).getRawMetric("qps", "default", "app=web", ""), { message: "no metrics returned from custom metrics API" });
    const missing = fakeClient({ "/apis": groups("v1beta2"), "/api/v1": core });
    await assert.rejects(new RestMetricsClient(missing).getRawMetric("qps", "default", "app=web", ""),
      { message: "unable to fetch metrics from custom metrics API: the server could not find the requested resource" });
  });

  it("reads an Object metric of a Deployment at deployments.apps, with the metric's selector", async () => {
    const c = fakeClient({
      "/apis": groups("v1beta2"), "/apis/apps": apps, "/apis/apps/v1": appsV1,
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/web/hits?metricLabelSelector=verb%3DGET": {
        kind: "MetricValueList", items: [{ describedObject: { kind: "Deployment", name: "web" }, metric: { name: "hits" }, timestamp: T, value: "250" }],
      },
    });
    const client = new RestMetricsClient(c);
    assert.deepEqual(await client.getObjectMetric("hits", "default", { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, "verb=GET"), { value: 250_000, timestamp: Date.parse(T) });
    // The mapping and the version are kept for a while: asked again, only the metric is fetched.
    const before = c.asked.length;
    await client.getObjectMetric("hits", "default", { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, "verb=GET");
    assert.deepEqual(c.asked.slice(before), ["GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/web/hits?metricLabelSelector=verb%3DGET"]);
  });

  it("reads a Namespace's metric at namespaces/<ns>/metrics/<metric>, and wants exactly one value", async () => {
    const c = fakeClient({
      "/apis": groups("v1beta2"),
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/metrics/load": { kind: "MetricValueList", items: [{ value: "2", timestamp: T }] },
      "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/metrics/twice": { kind: "MetricValueList", items: [{ value: "2" }, { value: "3" }] },
    });
    const client = new RestMetricsClient(c);
    assert.equal((await client.getObjectMetric("load", "default", { apiVersion: "v1", kind: "Namespace", name: "elsewhere" }, "")).value, 2000);
    await assert.rejects(client.getObjectMetric("twice", "default", { apiVersion: "v1", kind: "Namespace", name: "default" }, ""),
      { message: "unable to fetch metrics from custom metrics API: the custom metrics API server returned 2 results when we asked for exactly one" });
    await assert.rejects(client.getObjectMetric("x", "default", { apiVersion: "example.com/v1", kind: "Widget", name: "w" }, ""),
      /^Error: unable to fetch metrics from custom metrics API: unable to map kind Widget.example.com to resource: /);
  });
});

describe("RestMetricsClient, external.metrics.k8s.io", () => {
  it("reads every series of an External metric the selector picks", async () => {
    const c = fakeClient({
      "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length?labelSelector=queue%3Dworker": {
        kind: "ExternalMetricValueList", items: [{ metricName: "queue_length", metricLabels: { queue: "worker" }, timestamp: T, value: "30" }, { metricName: "queue_length", timestamp: T, value: "500m" }],
      },
    });
    assert.deepEqual(await new RestMetricsClient(c).getExternalMetric("queue_length", "default", "queue=worker"), { values: [30_000, 500], timestamp: Date.parse(T) });
  });

  it("says why it has none, in upstream's words", async () => {
    await assert.rejects(new RestMetricsClient(fakeClient({})).getExternalMetric("queue_length", "default", ""),
      { message: "unable to fetch metrics from external metrics API: the server could not find the requested resource" });
    const empty = fakeClient({ "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_length": { items: [] } });
    await assert.rejects(new RestMetricsClient(empty).getExternalMetric("queue_length", "default", ""), { message: "no metrics returned from external metrics API" });
  });
});
