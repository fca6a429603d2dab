/**
 * Where the autoscaler's samples come from (upstream's metrics clients):
 * resource metrics from metrics.k8s.io's PodMetrics, listed by the target's
 * selector; Pods and Object metrics from custom.metrics.k8s.io in the
 * version its discovery prefers (v1beta2, else v1beta1, as upstream's
 * custom metrics client chooses, found again every sync period); External
 * metrics from external.metrics.k8s.io/v1beta1. Both are served by extension
 * API servers through their APIServices (src/apiserver/aggregator/).
 */
import type { Client } from "../../client/index.js";
import { milliValue, type PodMetricsInfo } from "./replica-calculator.js";

interface ContainerMetrics { name: string; usage?: Record<string, string> }
interface PodMetrics { metadata: { name: string; namespace?: string }; timestamp?: string; window?: string; containers?: ContainerMetrics[] }

/** custom.metrics.k8s.io's MetricValue in either version (v1beta1 names the window `window`, v1beta2 `windowSeconds`). */
interface MetricValue { describedObject?: { kind?: string; name?: string; namespace?: string; apiVersion?: string }; timestamp?: string; windowSeconds?: number; window?: number; value?: string | number }
interface MetricValueList { kind?: string; items?: MetricValue[] }
interface ExternalMetricValueList { kind?: string; items?: { metricName?: string; metricLabels?: Record<string, string>; timestamp?: string; value?: string | number }[] }

/** The object an Object metric describes (a CrossVersionObjectReference). */
export interface ObjectReference { apiVersion?: string; kind: string; name: string }

export interface MetricsClient {
  /** Each pod's usage of the resource (the named container's, or the sum of all), and the samples' time. */
  getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  /** A Pods metric per pod of the selector (custom.metrics.k8s.io), milli-values; metricSelector narrows the metric's series. */
  getRawMetric(metricName: string, namespace: string, selector: string, metricSelector: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }>;
  /** An Object metric's milli-value (custom.metrics.k8s.io). */
  getObjectMetric(metricName: string, namespace: string, object: ObjectReference, metricSelector: string): Promise<{ value: number; timestamp: number }>;
  /** An External metric's milli-values, one per series the selector picks (external.metrics.k8s.io). */
  getExternalMetric(metricName: string, namespace: string, metricSelector: string): Promise<{ values: number[]; timestamp: number }>;
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

/** The window upstream assumes when a custom metric gives none (metricServerDefaultMetricWindow). */
const DEFAULT_METRIC_WINDOW_MS = 60_000;
const CUSTOM_METRICS_GROUP = "custom.metrics.k8s.io";
/** The versions upstream's custom metrics client speaks, most preferred first. */
const CUSTOM_METRICS_VERSIONS = ["custom.metrics.k8s.io/v1beta2", "custom.metrics.k8s.io/v1beta1"];

function query(params: Record<string, string>): string {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface RestMetricsClientOptions {
  /** How long the preferred custom metrics version and kinds' resources are kept (upstream invalidates them every sync period). */
  discoveryTtlMs?: number;
  now?: () => number;
}

export class RestMetricsClient implements MetricsClient {
  private preferred?: { at: number; groupVersion: string };
  private readonly mappings = new Map<string, { at: number; resource: string }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly client: Pick<Client, "request">, options: RestMetricsClientOptions = {}) {
    this.ttlMs = options.discoveryTtlMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  async getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    let items: PodMetrics[];
    try {
      items = (await this.client.request<{ items?: PodMetrics[] }>("GET", `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods${query({ labelSelector: selector })}`)).items ?? [];
    } catch (err) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${(err as Error).message}`, { cause: err });
    }
    if (items.length === 0) throw new Error("no metrics returned from resource metrics API");
    return { metrics: podMetricsInfo(items, resource, container), timestamp: Date.parse(items[0]!.timestamp ?? "") || 0 };
  }

  async getRawMetric(metricName: string, namespace: string, selector: string, metricSelector: string): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
    let list: MetricValueList;
    try {
      const gv = await this.customMetricsVersion();
      const resource = await this.resourceFor("", "Pod");
      list = checkList(await this.client.request<MetricValueList>("GET",
        `/apis/${gv}/namespaces/${encodeURIComponent(namespace)}/${resource}/*/${encodeURIComponent(metricName)}${query({ labelSelector: selector, metricLabelSelector: metricSelector })}`));
    } catch (err) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(err as Error).message}`, { cause: err });
    }
    const items = list.items ?? [];
    if (items.length === 0) throw new Error("no metrics returned from custom metrics API");
    const metrics: PodMetricsInfo = new Map();
    for (const m of items) {
      const seconds = m.windowSeconds ?? m.window;
      metrics.set(m.describedObject?.name ?? "", { value: milliValue(m.value), timestamp: Date.parse(m.timestamp ?? "") || 0, windowMs: seconds !== undefined ? seconds * 1000 : DEFAULT_METRIC_WINDOW_MS });
    }
    return { metrics, timestamp: Date.parse(items[0]!.timestamp ?? "") || 0 };
  }

  async getObjectMetric(metricName: string, namespace: string, object: ObjectReference, metricSelector: string): Promise<{ value: number; timestamp: number }> {
    let item: MetricValue;
    try {
      const gv = await this.customMetricsVersion();
      const group = groupOf(object.apiVersion ?? "");
      const ns = encodeURIComponent(namespace);
      const q = query({ metricLabelSelector: metricSelector });
      // A Namespace's metrics live at namespaces/<ns>/metrics/<metric>; the reference cannot name another namespace.
      const path = object.kind === "Namespace" && group === ""
        ? `/apis/${gv}/namespaces/${ns}/metrics/${encodeURIComponent(metricName)}${q}`
        : `/apis/${gv}/namespaces/${ns}/${await this.resourceFor(group, object.kind)}/${encodeURIComponent(object.name)}/${encodeURIComponent(metricName)}${q}`;
      const items = checkList(await this.client.request<MetricValueList>("GET", path)).items ?? [];
      if (items.length !== 1) throw new Error(`the custom metrics API server returned ${items.length} results when we asked for exactly one`);
      item = items[0]!;
    } catch (err) {
      throw new Error(`unable to fetch metrics from custom metrics API: ${(err as Error).message}`, { cause: err });
    }
    return { value: milliValue(item.value), timestamp: Date.parse(item.timestamp ?? "") || 0 };
  }

  async getExternalMetric(metricName: string, namespace: string, metricSelector: string): Promise<{ values: number[]; timestamp: number }> {
    let items: NonNullable<ExternalMetricValueList["items"]>;
    try {
      items = (await this.client.request<ExternalMetricValueList>("GET",
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/${encodeURIComponent(metricName)}${query({ labelSelector: metricSelector })}`)).items ?? [];
    } catch (err) {
      throw new Error(`unable to fetch metrics from external metrics API: ${(err as Error).message}`, { cause: err });
    }
    if (items.length === 0) throw new Error("no metrics returned from external metrics API");
    return { values: items.map((m) => milliValue(m.value)), timestamp: Date.parse(items[0]!.timestamp ?? "") || 0 };
  }

  /**
   * The custom metrics group-version to ask (upstream's apiVersionsFromDiscovery): the group's preferred version when
   * it is one this client speaks, else the first of its versions that is; kept for a sync period, never kept when absent.
   */
  private async customMetricsVersion(): Promise<string> {
    if (this.preferred && this.now() - this.preferred.at < this.ttlMs) return this.preferred.groupVersion;
    const groups = await this.client.request<{ groups?: { name: string; preferredVersion?: { groupVersion?: string }; versions?: { groupVersion: string }[] }[] }>("GET", "/apis");
    const group = (groups.groups ?? []).find((g) => g.name === CUSTOM_METRICS_GROUP);
    if (!group) throw new Error(`no custom metrics API (${CUSTOM_METRICS_GROUP}) registered`);
    const preferred = group.preferredVersion?.groupVersion;
    const groupVersion = preferred && CUSTOM_METRICS_VERSIONS.includes(preferred)
      ? preferred
      : (group.versions ?? []).map((v) => v.groupVersion).find((v) => CUSTOM_METRICS_VERSIONS.includes(v));
    if (!groupVersion) throw new Error("no known available metric versions found");
    this.preferred = { at: this.now(), groupVersion };
    return groupVersion;
  }

  /** The qualified resource of a kind, `pods` or `deployments.apps` (upstream's RESTMapper over discovery, the group's preferred version). */
  private async resourceFor(group: string, kind: string): Promise<string> {
    const key = `${kind}.${group}`;
    const cached = this.mappings.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.resource;
    const groupKind = group ? `${kind}.${group}` : kind;
    let resources: { name: string; kind: string }[] = [];
    try {
      let path = "/api/v1";
      if (group) {
        const g = await this.client.request<{ preferredVersion?: { groupVersion?: string } }>("GET", `/apis/${group}`);
        path = `/apis/${g.preferredVersion?.groupVersion ?? ""}`;
      }
      resources = (await this.client.request<{ resources?: { name: string; kind: string }[] }>("GET", path)).resources ?? [];
    } catch (err) {
      throw new Error(`unable to map kind ${groupKind} to resource: ${(err as Error).message}`, { cause: err });
    }
    const found = resources.find((r) => r.kind === kind && !r.name.includes("/"));
    if (!found) throw new Error(`unable to map kind ${groupKind} to resource: no matches for kind "${kind}" in group "${group}"`);
    const resource = group ? `${found.name}.${group}` : found.name;
    this.mappings.set(key, { at: this.now(), resource });
    return resource;
  }
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
}

function checkList(list: MetricValueList): MetricValueList {
  if (list?.kind !== undefined && list.kind !== "MetricValueList") throw new Error(`the custom metrics API server didn't return MetricValueList, the type is ${list.kind}`);
  return list;
}
