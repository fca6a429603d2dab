/**
 * Where the autoscaler's samples come from (upstream's metrics clients):
 * resource metrics from metrics.k8s.io's PodMetrics, listed by the target's
 * selector. custom.metrics.k8s.io and external.metrics.k8s.io are not served
 * (no APIService aggregates them yet), so Pods, Object and External metrics
 * fail as upstream's do when no such API is registered.
 */
import type { Client } from "../../client/index.js";
import { milliValue, type PodMetricsInfo } from "./replica-calculator.js";

interface ContainerMetrics { name: string; usage?: Record<string, string> }
interface PodMetrics { metadata: { name: string; namespace?: string }; timestamp?: string; window?: string; containers?: ContainerMetrics[] }

export interface MetricsClient {
  /** Each pod's usage of the resource (the named container's, or the sum of all), and the samples' time. */
  getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  /** A Pods metric per pod (custom.metrics.k8s.io). */
  getRawMetric(metricName: string, namespace: string, selector: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  /** An Object metric's value (custom.metrics.k8s.io). */
  getObjectMetric(metricName: string, namespace: string, kind: string, name: string): Promise<{ value: number; timestamp: number }>;
  /** An External metric's values (external.metrics.k8s.io). */
  getExternalMetric(metricName: string, namespace: string): Promise<{ values: number[]; timestamp: number }>;
}

/** `10s`, `1m30s`, `500ms` in milliseconds. */
export function durationMs(text: string | undefined): number {
  if (!text) return 0;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(n) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[unit as "s"];
  return ms;
}

/** Samples of the pods from PodMetrics, as upstream's getPodMetrics and getContainerMetrics read them. */
export function podMetricsInfo(items: PodMetrics[], resource: string, container: string): PodMetricsInfo {
  const out: PodMetricsInfo = new Map();
  for (const m of items) {
    const sample = (value: number) => ({ value, timestamp: Date.parse(m.timestamp ?? "") || 0, windowMs: durationMs(m.window) });
    if (container) {
      const c = (m.containers ?? []).find((x) => x.name === container);
      if (!c) throw new Error(`failed to get container metrics: container ${container} not present in metrics for pod ${m.metadata.namespace}/${m.metadata.name}`);
      if (c.usage?.[resource] !== undefined) out.set(m.metadata.name, sample(milliValue(c.usage[resource])));
      continue;
    }
    // A pod with a container that has no sample of the resource has no sample at all.
    const containers = m.containers ?? [];
    if (containers.length === 0 || containers.some((c) => c.usage?.[resource] === undefined)) continue;
    out.set(m.metadata.name, sample(containers.reduce((n, c) => n + milliValue(c.usage![resource]), 0)));
  }
  return out;
}

export class RestMetricsClient implements MetricsClient {
  constructor(private readonly client: Client) {}

  async getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
    let items: PodMetrics[];
    try {
      items = (await this.client.request<{ items?: PodMetrics[] }>("GET", `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${q}`)).items ?? [];
    } catch (err) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${(err as Error).message}`, { cause: err });
    }
    if (items.length === 0) throw new Error("no metrics returned from resource metrics API");
    return { metrics: podMetricsInfo(items, resource, container), timestamp: Date.parse(items[0]!.timestamp ?? "") || 0 };
  }

  getRawMetric(): Promise<never> {
    return Promise.reject(new Error("unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered"));
  }

  getObjectMetric(): Promise<never> {
    return Promise.reject(new Error("unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered"));
  }

  getExternalMetric(): Promise<never> {
    return Promise.reject(new Error("unable to fetch metrics from external metrics API: no external metrics API (external.metrics.k8s.io) registered"));
  }
}
