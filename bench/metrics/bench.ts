/**
 * What metrics cost a request (run on demand: `npm run bench:metrics`).
 * Prints, per request, the time of exactly the metrics work the API server
 * does for it (request labels, the inflight and request families, one
 * latency histogram, the etcd families of its store calls, and each
 * admission plugin's and step's histogram for writes), measured in a loop,
 * beside the median latency of that request against the built `skiff server`
 * over HTTPS: their ratio is the share of the request's time that metrics
 * take. Every loop is bounded by a count; nothing here asserts a time.
 */
import { ApiMetrics, requestLabels } from "../../src/apiserver/metrics.js";
import { AdmissionMetrics } from "../../src/apiserver/admission/metrics.js";
import { parseRequestInfo } from "../../src/apiserver/request-info.js";
import { Registry } from "../../src/metrics/index.js";
import { Client, loadKubeconfig } from "../../src/client/index.js";
import { startServer } from "../../test/helpers/skiff-server.js";

const ROUNDS = 20_000;
const REQUESTS = 2_000;
/** Plugins that have a mutating or validating step in the recommended chain (about 17 of each). */
const ADMISSION_STEPS = 34;

const configmaps = { group: "", version: "v1", resource: "configmaps", namespaced: true };

/** µs of metrics work for one request of this shape. */
function metricsWork(method: string, path: string, storeCalls: number, admission: boolean): number {
  const m = new ApiMetrics();
  const a = new AdmissionMetrics(new Registry());
  const q = new URLSearchParams();
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const info = parseRequestInfo(method, path, q);
    const end = m.begin(info, requestLabels(info, method, "application/json", q));
    for (let s = 0; s < storeCalls; s++) {
      const labels = { operation: "get", type: "configmaps" };
      m.etcdLatency.observe(labels, 0.001);
    }
    if (admission) {
      for (let s = 0; s < ADMISSION_STEPS; s++) a.observePlugin(`Plugin${s % 17}`, s < 17 ? "admit" : "validate", "CREATE", false, 0.0001);
      a.observeStep("admit", "CREATE", false, 0.001);
      a.observeStep("validate", "CREATE", false, 0.001);
    }
    end(200);
  }
  return ((performance.now() - start) * 1000) / ROUNDS;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  // The loops first, before a server shares the CPU; the least disturbed of five runs is the work's own cost.
  const least = (f: () => number) => Math.min(...Array.from({ length: 5 }, f));
  const getWork = least(() => metricsWork("GET", "/api/v1/namespaces/default/configmaps/c-1", 1, false));
  const createWork = least(() => metricsWork("POST", "/api/v1/namespaces/default/configmaps", 2, true));
  await using server = await startServer();
  const client = new Client(loadKubeconfig(server.kubeconfig));
  try {
    const creates: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await client.create(configmaps, "default", { metadata: { name: `c-${i}` }, data: { a: "b" } });
      creates.push(performance.now() - t);
    }
    const gets: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await client.get(configmaps, "default", `c-${i}`);
      gets.push(performance.now() - t);
    }
    const row = (what: string, workUs: number, latencyMs: number) =>
      console.log(`${what.padEnd(8)} metrics ${workUs.toFixed(1).padStart(6)} µs   request p50 ${latencyMs.toFixed(2).padStart(6)} ms   share ${((workUs / 1000 / latencyMs) * 100).toFixed(2)}%`);
    row("GET", getWork, median(gets));
    row("CREATE", createWork, median(creates));
  } finally {
    client.close();
  }
}

void main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
