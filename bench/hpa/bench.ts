/**
 * HorizontalPodAutoscaler controller benchmark (on demand: `npm run bench:hpa`).
 * On the built `skiff server` with simulated nodes (which report synthetic
 * usage, 10% of requests by default), it makes N one-replica Deployments
 * with an HPA each (cpu 50%, min 1, max 3: usage stays below target, so
 * nothing scales and the figures are the controller's own cost), and prints:
 * - the time from the first HPA's create to every HPA having a status with
 *   its current cpu metric (the first full pass);
 * - over a steady window of whole sync periods: how many syncs each HPA got
 *   per 15 s period (1.0 means all of them were synced within the period),
 *   the mean work time per sync from the controller's workqueue metrics,
 *   and the server's CPU seconds per period beside the same window before
 *   the HPAs existed.
 * Every loop is bounded by a count or a deadline; nothing here asserts a time.
 */
import { execFile } from "node:child_process";
import { parseArgs } from "node:util";
import type { HorizontalPodAutoscaler } from "kubernetes-types/autoscaling/v2.js";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { horizontalPodAutoscalers } from "../../src/controllers/podautoscaler/horizontal-controller.js";
import { startServer } from "../../test/helpers/skiff-server.js";

const { values } = parseArgs({ options: { hpas: { type: "string", default: "1000" }, nodes: { type: "string", default: "20" }, periods: { type: "string", default: "4" } } });
const HPAS = Number(values.hpas);
const NODES = Number(values.nodes);
const PERIODS = Number(values.periods);
const SYNC_PERIOD_S = 15;
const NAMESPACE = "bench-hpa";
const QUEUE = "horizontalpodautoscaler";

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { for (let i = next++; i < items.length; i = next++) await fn(items[i]!); }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function deployment(name: string): Deployment & KubeObject {
  return {
    metadata: { name },
    spec: {
      replicas: 1, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "100m", memory: "32Mi" } } }] } },
    },
  } as Deployment & KubeObject;
}

function autoscaler(name: string): HorizontalPodAutoscaler & KubeObject {
  return {
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name }, minReplicas: 1, maxReplicas: 3,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }],
    },
  } as HorizontalPodAutoscaler & KubeObject;
}

/** The server's /metrics, read as an operator does, through kubectl. */
function scrape(kubeconfig: string): Promise<string> {
  return new Promise((resolve, reject) => execFile("kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/metrics"], { maxBuffer: 64 * 1024 * 1024 },
    (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

/** One sample's value: the family's series whose labels include every given pair. */
function sample(text: string, family: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(family)) continue;
    const rest = line.slice(family.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (want.every((w) => rest.includes(w))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return NaN;
}

interface Window { cpu: number; adds: number; workSum: number; workCount: number }

async function measure(kubeconfig: string, seconds: number): Promise<Window> {
  const before = await scrape(kubeconfig);
  await sleep(seconds * 1000);
  const after = await scrape(kubeconfig);
  const delta = (family: string, labels?: Record<string, string>) => sample(after, family, labels) - sample(before, family, labels);
  return {
    cpu: delta("process_cpu_seconds_total"),
    adds: delta("workqueue_adds_total", { name: QUEUE }),
    workSum: delta("workqueue_work_duration_seconds_sum", { name: QUEUE }),
    workCount: delta("workqueue_work_duration_seconds_count", { name: QUEUE }),
  };
}

async function main(): Promise<void> {
  await using server = await startServer({ simNodes: NODES });
  const client = new Client(loadKubeconfig(server.kubeconfig));
  await client.create(Resources.namespaces, undefined, { metadata: { name: NAMESPACE } });
  const names = Array.from({ length: HPAS }, (_, i) => `web-${i}`);
  console.log(`${NODES} simulated nodes; creating ${HPAS} Deployments …`);
  await inParallel(names, 16, (n) => client.create(Resources.deployments, NAMESPACE, deployment(n)));
  const deadline = Date.now() + 600_000;
  let ready = 0;
  while (Date.now() < deadline) {
    const list = await client.list<Deployment & KubeObject>(Resources.deployments, NAMESPACE);
    ready = list.items.filter((d) => d.status?.readyReplicas === 1).length;
    if (ready === HPAS) break;
    await sleep(1000);
  }
  console.log(`${ready} of ${HPAS} Deployments have their pod ready`);
  const seconds = PERIODS * SYNC_PERIOD_S;
  const baseline = await measure(server.kubeconfig, seconds);

  const start = performance.now();
  await inParallel(names, 16, (n) => client.create(horizontalPodAutoscalers, NAMESPACE, autoscaler(n)));
  const created = performance.now();
  let synced = 0;
  while (Date.now() < deadline) {
    const list = await client.list<HorizontalPodAutoscaler & KubeObject>(horizontalPodAutoscalers, NAMESPACE);
    synced = list.items.filter((h) => h.status?.currentMetrics?.[0]?.resource?.current.averageUtilization !== undefined).length;
    if (synced === HPAS) break;
    await sleep(250);
  }
  const firstPass = performance.now();
  // Let the first pass's requeues settle into the steady rhythm before measuring it.
  await sleep(SYNC_PERIOD_S * 1000);
  const steady = await measure(server.kubeconfig, seconds);
  client.close();

  const perPeriod = (x: number) => x / PERIODS;
  console.log(`\n${HPAS} HPAs over ${NODES} simulated nodes, ${PERIODS} sync periods of ${SYNC_PERIOD_S} s measured:\n`);
  console.log("| figure | value |\n|---|---|");
  console.log(`| creating the HPAs | ${((created - start) / 1000).toFixed(1)} s |`);
  console.log(`| first create to every HPA with its cpu metric | ${((firstPass - start) / 1000).toFixed(1)} s (${synced} of ${HPAS}) |`);
  console.log(`| syncs per HPA per period (steady) | ${(perPeriod(steady.workCount) / HPAS).toFixed(2)} |`);
  console.log(`| mean work time per sync | ${((steady.workSum / Math.max(1, steady.workCount)) * 1000).toFixed(2)} ms |`);
  console.log(`| server CPU per period, without HPAs | ${perPeriod(baseline.cpu).toFixed(2)} s |`);
  console.log(`| server CPU per period, with ${HPAS} HPAs | ${perPeriod(steady.cpu).toFixed(2)} s |`);
  console.log(`| so the HPAs' cost per period | ${perPeriod(steady.cpu - baseline.cpu).toFixed(2)} CPU-s (${(((steady.cpu - baseline.cpu) / steady.workCount) * 1000).toFixed(2)} ms a sync) |`);
}

await main();
