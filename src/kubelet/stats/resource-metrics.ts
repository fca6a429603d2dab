/**
 * The kubelet's `/metrics/resource` (upstream's resource metrics collector,
 * pkg/kubelet/metrics/collectors): CPU and memory of the node, each pod and
 * each container, from the same summary as `/stats/summary`, made afresh at
 * each scrape so that a container that went leaves no series behind. Each
 * usage sample carries the time its stats were taken (milliseconds), as
 * upstream's; the start times carry none. `resource_scrape_error` is 1 when
 * the summary could not be had, and is then the only family.
 */
import type { ConstFamily, ConstSample } from "../../metrics/index.js";
import type { CpuStats, MemoryStats, Summary } from "./summary.js";

/** The families and their help texts, as upstream's exposition writes them (all STABLE in v1.32). */
const FAMILIES = {
  nodeCpu: { name: "node_cpu_usage_seconds_total", type: "counter", help: "[STABLE] Cumulative cpu time consumed by the node in core-seconds" },
  nodeMemory: { name: "node_memory_working_set_bytes", type: "gauge", help: "[STABLE] Current working set of the node in bytes" },
  containerCpu: { name: "container_cpu_usage_seconds_total", type: "counter", help: "[STABLE] Cumulative cpu time consumed by the container in core-seconds" },
  containerMemory: { name: "container_memory_working_set_bytes", type: "gauge", help: "[STABLE] Current working set of the container in bytes" },
  containerStart: { name: "container_start_time_seconds", type: "gauge", help: "[STABLE] Start time of the container since unix epoch in seconds" },
  podCpu: { name: "pod_cpu_usage_seconds_total", type: "counter", help: "[STABLE] Cumulative cpu time consumed by the pod in core-seconds" },
  podMemory: { name: "pod_memory_working_set_bytes", type: "gauge", help: "[STABLE] Current working set of the pod in bytes" },
  scrapeError: { name: "resource_scrape_error", type: "gauge", help: "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise" },
} as const satisfies Record<string, Omit<ConstFamily, "samples">>;

type Key = keyof typeof FAMILIES;

/** The families for a summary, or for none (the stats could not be read). */
export function resourceMetrics(summary: Summary | undefined): ConstFamily[] {
  const samples = Object.fromEntries(Object.keys(FAMILIES).map((k) => [k, [] as ConstSample[]])) as Record<Key, ConstSample[]>;
  samples.scrapeError.push({ value: summary ? 0 : 1 });
  if (summary) {
    const { node } = summary;
    cpu(samples.nodeCpu, node.cpu, {});
    memory(samples.nodeMemory, node.memory, {});
    for (const pod of summary.pods) {
      const { name, namespace } = pod.podRef;
      for (const c of pod.containers) {
        const labels = { container: c.name, pod: name, namespace };
        const started = Date.parse(c.startTime);
        // Upstream leaves out a start time at or before the epoch (one the runtime did not give).
        if (started > 0) samples.containerStart.push({ labels, value: started / 1000 });
        cpu(samples.containerCpu, c.cpu, labels);
        memory(samples.containerMemory, c.memory, labels);
      }
      cpu(samples.podCpu, pod.cpu, { pod: name, namespace });
      memory(samples.podMemory, pod.memory, { pod: name, namespace });
    }
  }
  return (Object.keys(FAMILIES) as Key[]).map((k) => ({ ...FAMILIES[k], samples: samples[k] }));
}

/** Loads the summary for resourceMetrics: a failure is handed to onError and reported by the scrape, which still answers. */
export async function resourceMetricsOf(summary: () => Promise<Summary>, onError: (err: unknown) => void): Promise<ConstFamily[]> {
  return resourceMetrics(await summary().catch((err: unknown) => { onError(err); return undefined; }));
}

function cpu(out: ConstSample[], stats: CpuStats | undefined, labels: Record<string, string>): void {
  if (stats?.usageCoreNanoSeconds === undefined) return;
  out.push({ labels, value: stats.usageCoreNanoSeconds / 1e9, timestampMs: Date.parse(stats.time) });
}

function memory(out: ConstSample[], stats: MemoryStats | undefined, labels: Record<string, string>): void {
  if (stats?.workingSetBytes === undefined) return;
  out.push({ labels, value: stats.workingSetBytes, timestampMs: Date.parse(stats.time) });
}
