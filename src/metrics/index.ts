/**
 * What every component's Prometheus metrics share (upstream's
 * k8s.io/component-base/metrics): prom-client registries, one per component
 * so that each endpoint serves its own families, Node's process metrics, and
 * the handler that writes the text exposition format.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";

export { Counter, Gauge, Histogram, Registry, exponentialBuckets, linearBuckets } from "prom-client";
export { formatFloat, renderConstFamilies, type ConstFamily, type ConstSample } from "./const-families.js";

/** Upstream's request latency buckets (apiserver_request_duration_seconds, etcd_request_duration_seconds). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

let processMetrics: Registry | undefined;

/**
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_start_time_seconds, nodejs_eventloop_lag_seconds, heap and GC.
 * One registry for the process, made on first use: they describe the
 * process, not a component, and every component of it serves the same one
 * (a second collector would start a second event-loop monitor for nothing).
 */
export function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * Writes the families of the registries, in the text format Prometheus
 * scrapes. A family registered in several (the process's) is written once.
 */
export async function serveMetrics(res: ServerResponse | Http2ServerResponse, registries: Registry[]): Promise<void> {
  serveExposition(res, await renderMetrics(registries));
}

/** Writes metrics already in the text format (renderMetrics, renderConstFamilies), as Prometheus scrapes them. */
export function serveExposition(res: ServerResponse | Http2ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": Registry.PROMETHEUS_CONTENT_TYPE });
  res.end(body);
}

export async function renderMetrics(registries: Registry[]): Promise<string> {
  const unique = [...new Set(registries)];
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const r of unique) {
    for (const m of r.getMetricsAsArray()) {
      const name = (m as unknown as { name: string }).name;
      if (seen.has(name)) continue;
      seen.add(name);
      parts.push(await r.getSingleMetricAsString(name));
    }
  }
  return parts.filter(Boolean).join("\n") + "\n";
}
