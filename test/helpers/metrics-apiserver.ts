/**
 * What a custom metrics adapter (prometheus-adapter, KEDA) serves, for an
 * extension server of extension-apiserver.ts: custom.metrics.k8s.io/v1beta2
 * (MetricValueLists of the pods a label selector picks, or of one object)
 * and external.metrics.k8s.io/v1beta1 (ExternalMetricValueLists), each
 * metric's values given by the test. A metric the test has no value for is
 * a 404, as an adapter answers for a series it does not have.
 */
import type { ExtensionHandler } from "./extension-apiserver.js";

export const CUSTOM_METRICS = "custom.metrics.k8s.io/v1beta2";
export const EXTERNAL_METRICS = "external.metrics.k8s.io/v1beta1";

export interface MetricsSource {
  /** Each pod's value of a Pods metric, by pod name, for the pods the selector picks. */
  pods?(namespace: string, metric: string, labelSelector: string): Promise<Record<string, string> | undefined> | Record<string, string> | undefined;
  /** One object's value (resource as `deployments.apps`). */
  object?(namespace: string, resource: string, name: string, metric: string): string | undefined;
  /** The series of an External metric the selector picks, with their labels. */
  external?(namespace: string, metric: string, labelSelector: string): { labels: Record<string, string>; value: string }[] | undefined;
  /** Metric names listed in discovery. */
  podsMetrics?: string[];
  externalMetrics?: string[];
}

const notFound = (message = "the server could not find the requested resource") => ({ code: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", message, reason: "NotFound", code: 404 } });

export function metricsHandler(source: MetricsSource): ExtensionHandler {
  return async ({ method, path, query }) => {
    if (method !== "GET") return undefined;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    if (path === `/apis/${CUSTOM_METRICS}`) {
      return { code: 200, body: { kind: "APIResourceList", apiVersion: "v1", groupVersion: CUSTOM_METRICS, resources: (source.podsMetrics ?? []).map((m) => ({ name: `pods/${m}`, singularName: "", namespaced: true, kind: "MetricValueList", verbs: ["get"] })) } };
    }
    if (path === `/apis/${EXTERNAL_METRICS}`) {
      return { code: 200, body: { kind: "APIResourceList", apiVersion: "v1", groupVersion: EXTERNAL_METRICS, resources: (source.externalMetrics ?? []).map((m) => ({ name: m, singularName: "", namespaced: true, kind: "ExternalMetricValueList", verbs: ["get"] })) } };
    }
    const custom = /^\/apis\/custom\.metrics\.k8s\.io\/v1beta2\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
    if (custom) {
      const [, ns, resource, name, metric] = custom as unknown as [string, string, string, string, string];
      const item = (kind: string, apiVersion: string, object: string, value: string) => ({
        describedObject: { kind, namespace: ns, name: object, apiVersion }, metric: { name: metric }, timestamp: now, windowSeconds: 30, value,
      });
      if (resource === "pods" && name === "*") {
        const values = await source.pods?.(ns, metric, query.get("labelSelector") ?? "");
        if (!values) return notFound();
        return { code: 200, body: { kind: "MetricValueList", apiVersion: CUSTOM_METRICS, metadata: {}, items: Object.entries(values).map(([pod, v]) => item("Pod", "/v1", pod, v)) } };
      }
      const value = source.object?.(ns, resource, name, metric);
      if (value === undefined) return notFound();
      return { code: 200, body: { kind: "MetricValueList", apiVersion: CUSTOM_METRICS, metadata: {}, items: [item(resource, "", name, value)] } };
    }
    const external = /^\/apis\/external\.metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    if (external) {
      const [, ns, metric] = external as unknown as [string, string, string];
      const series = source.external?.(ns, metric, query.get("labelSelector") ?? "");
      if (!series) return notFound();
      return { code: 200, body: { kind: "ExternalMetricValueList", apiVersion: EXTERNAL_METRICS, metadata: {}, items: series.map((s) => ({ metricName: metric, metricLabels: s.labels, timestamp: now, value: s.value })) } };
    }
    return undefined;
  };
}
