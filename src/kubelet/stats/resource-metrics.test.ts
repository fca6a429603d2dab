import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderConstFamilies } from "../../metrics/index.js";
import { resourceMetrics, resourceMetricsOf } from "./resource-metrics.js";
import type { ContainerSummary, PodSummary, Summary } from "./summary.js";

const T = "2026-12-03T06:00:00.000Z";
const MS = Date.parse(T);

function newContainer(c: Partial<ContainerSummary> & { name: string }): ContainerSummary {
  return { startTime: "2026-12-03T05:00:00.500Z", cpu: { time: T, usageCoreNanoSeconds: 1_500_000_000 }, memory: { time: T, workingSetBytes: 2048 }, ...c };
}

function newPod(name: string, containers: ContainerSummary[], namespace = "default"): PodSummary {
  return {
    podRef: { name, namespace, uid: `uid-${name}` }, startTime: "2026-12-03T05:00:00Z", containers,
    cpu: { time: T, usageCoreNanoSeconds: containers.reduce((n, c) => n + (c.cpu.usageCoreNanoSeconds ?? 0), 0) },
    memory: { time: T, workingSetBytes: containers.reduce((n, c) => n + (c.memory.workingSetBytes ?? 0), 0) },
  };
}

function newSummary(pods: PodSummary[]): Summary {
  return {
    node: { nodeName: "n1", startTime: "2026-12-01T00:00:00Z", cpu: { time: T, usageCoreNanoSeconds: 123_456_000_000_000, usageNanoCores: 5 }, memory: { time: T, workingSetBytes: 3_000_000_000 } },
    pods,
  };
}

describe("resource metrics (/metrics/resource)", () => {
  it("writes upstream's families from the summary, each usage stamped with its stats' time", () => {
    const text = renderConstFamilies(resourceMetrics(newSummary([
      newPod("web", [newContainer({ name: "nginx" }), newContainer({ name: "sidecar", cpu: { time: T, usageCoreNanoSeconds: 250_000_000 }, memory: { time: T, workingSetBytes: 1024 } })]),
      newPod("db", [newContainer({ name: "pg" })], "data"),
    ])));
    assert.equal(text, [
      "# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds",
      "# TYPE container_cpu_usage_seconds_total counter",
      `container_cpu_usage_seconds_total{container="nginx",namespace="default",pod="web"} 1.5 ${MS}`,
      `container_cpu_usage_seconds_total{container="pg",namespace="data",pod="db"} 1.5 ${MS}`,
      `container_cpu_usage_seconds_total{container="sidecar",namespace="default",pod="web"} 0.25 ${MS}`,
      "# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes",
      "# TYPE container_memory_working_set_bytes gauge",
      `container_memory_working_set_bytes{container="nginx",namespace="default",pod="web"} 2048 ${MS}`,
      `container_memory_working_set_bytes{container="pg",namespace="data",pod="db"} 2048 ${MS}`,
      `container_memory_working_set_bytes{container="sidecar",namespace="default",pod="web"} 1024 ${MS}`,
      "# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds",
      "# TYPE container_start_time_seconds gauge",
      'container_start_time_seconds{container="nginx",namespace="default",pod="web"} 1.7962740005e+09',
      'container_start_time_seconds{container="pg",namespace="data",pod="db"} 1.7962740005e+09',
      'container_start_time_seconds{container="sidecar",namespace="default",pod="web"} 1.7962740005e+09',
      "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds",
      "# TYPE node_cpu_usage_seconds_total counter",
      `node_cpu_usage_seconds_total 123456 ${MS}`,
      "# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes",
      "# TYPE node_memory_working_set_bytes gauge",
      `node_memory_working_set_bytes 3e+09 ${MS}`,
      "# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds",
      "# TYPE pod_cpu_usage_seconds_total counter",
      `pod_cpu_usage_seconds_total{namespace="data",pod="db"} 1.5 ${MS}`,
      `pod_cpu_usage_seconds_total{namespace="default",pod="web"} 1.75 ${MS}`,
      "# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes",
      "# TYPE pod_memory_working_set_bytes gauge",
      `pod_memory_working_set_bytes{namespace="data",pod="db"} 2048 ${MS}`,
      `pod_memory_working_set_bytes{namespace="default",pod="web"} 3072 ${MS}`,
      "# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise",
      "# TYPE resource_scrape_error gauge",
      "resource_scrape_error 0",
      "",
    ].join("\n"));
  });

  it("leaves out what the runtime did not report, and a pod-less node has only node series", () => {
    const noStats = newContainer({ name: "quiet", startTime: "1970-01-01T00:00:00Z", cpu: { time: T }, memory: { time: T } });
    const families = resourceMetrics(newSummary([newPod("p", [noStats])]));
    const byName = new Map(families.map((f) => [f.name, f.samples]));
    assert.deepEqual(byName.get("container_cpu_usage_seconds_total"), []);
    assert.deepEqual(byName.get("container_memory_working_set_bytes"), []);
    assert.deepEqual(byName.get("container_start_time_seconds"), [], "no start time at the epoch");
    assert.deepEqual(byName.get("pod_cpu_usage_seconds_total"), [{ labels: { pod: "p", namespace: "default" }, value: 0, timestampMs: MS }]);
    const empty = renderConstFamilies(resourceMetrics(newSummary([])));
    assert.doesNotMatch(empty, /container_|pod_/, "families without series are not written");
    assert.match(empty, /^node_cpu_usage_seconds_total 123456 \d+$/m);
  });

  it("reports resource_scrape_error 1, and nothing else, when the stats cannot be read", async () => {
    const errors: unknown[] = [];
    const families = await resourceMetricsOf(() => Promise.reject(new Error("runtime down")), (err) => errors.push(err));
    assert.equal(renderConstFamilies(families), [
      "# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise",
      "# TYPE resource_scrape_error gauge",
      "resource_scrape_error 1",
      "",
    ].join("\n"));
    assert.match(String(errors[0]), /runtime down/);
  });
});
