/**
 * Scheduler benchmark (on demand: `npm run bench:scheduler`). Against the
 * built `skiff server` (controllers off), it registers 5,000 nodes, creates
 * pending pods, then starts a scheduler and measures pods bound per second
 * from the scheduler's start to the last binding, for plain pods, pods with
 * required anti-affinity, and pods with topology spread. Then, on a server
 * with controllers and 100 simulated nodes, the time for a 3,000-replica
 * Deployment to have every pod Running and Ready.
 * Counts bound every loop; nothing here asserts a time.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { startServer } from "../../test/helpers/skiff-server.js";

const { values } = parseArgs({ options: { nodes: { type: "string", default: "5000" }, pods: { type: "string", default: "10000" }, replicas: { type: "string", default: "3000" } } });
const NODES = Number(values.nodes);
const PODS = Number(values.pods);

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { for (let i = next++; i < items.length; i = next++) await fn(items[i]!); }));
}

function node(i: number): KubeObject {
  return {
    metadata: { name: `node-${i}`, labels: { "kubernetes.io/hostname": `node-${i}`, "topology.kubernetes.io/zone": `zone-${i % 10}` } },
    status: {
      capacity: { cpu: "32", memory: "256Gi", pods: "110" }, allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: new Date().toISOString() }],
    },
  };
}

function pod(name: string, app: string, extra: Record<string, unknown>): KubeObject {
  return { metadata: { name, labels: { app } }, spec: { ...extra, containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "100m", memory: "64Mi" } } }] } };
}

async function scenario(client: Client, label: string, count: number, extra: (app: string) => Record<string, unknown>): Promise<void> {
  const ns = `sched-${label.replace(/\W+/g, "-").replace(/-+$/, "")}`;
  await client.create(Resources.namespaces, undefined, { metadata: { name: ns } });
  // With the controllers off no serviceaccount controller makes it, and ServiceAccount admission needs it.
  await client.create(Resources.serviceaccounts, ns, { metadata: { name: "default" } });
  const names = Array.from({ length: count }, (_, i) => `p-${i}`);
  await inParallel(names, 32, (n) => client.create(Resources.pods, ns, pod(n, ns, extra(ns))));
  const rv = (await client.list(Resources.pods, ns, { limit: 1 })).metadata.resourceVersion;
  let bound = 0;
  let last = 0;
  const abort = new AbortController();
  const watching = client.watch(Resources.pods, ns, { resourceVersion: rv }, (e) => {
    if (e.type === "MODIFIED" && (e.object as { spec?: { nodeName?: string } }).spec?.nodeName) { bound++; last = performance.now(); }
  }, abort.signal).catch(() => undefined);
  const scheduler = new Scheduler(client);
  const start = performance.now();
  const stop = new AbortController();
  scheduler.start(stop.signal);
  const deadline = Date.now() + 300_000;
  while (bound < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  abort.abort();
  await watching;
  const seconds = ((last || performance.now()) - start) / 1000;
  console.log(`${label.padEnd(28)} ${String(bound).padStart(6)} of ${count} pods bound in ${seconds.toFixed(1)} s: ${(bound / seconds).toFixed(0)} pods/s`);
}

async function main(): Promise<void> {
  console.log(`skiff scheduler benchmark — ${NODES} nodes, node ${process.version}`);
  {
    const server = await startServer({ args: ["--disable-controllers"], keepDataDir: true });
    const client = new Client(loadKubeconfig(server.kubeconfig));
    const t = performance.now();
    await inParallel(Array.from({ length: NODES }, (_, i) => i), 32, async (i) => {
      const created = await client.create(Resources.nodes, undefined, node(i));
      const reported = await client.update(Resources.nodes, undefined, { ...created, status: node(i).status }, "status");
      // No node lifecycle controller runs here: take off the not-ready taint a new node starts with, as it would.
      await client.update(Resources.nodes, undefined, { ...reported, spec: { ...(reported as { spec?: object }).spec, taints: [] } });
    });
    console.log(`registered ${NODES} nodes in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await scenario(client, "plain pods", PODS, () => ({}));
    await scenario(client, "required anti-affinity", Math.min(PODS, Math.floor(NODES * 0.8)), (app) => ({
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: "kubernetes.io/hostname" }] } },
    }));
    await scenario(client, "topology spread (zones)", PODS, (app) => ({
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app } } }],
    }));
    client.close();
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  {
    const replicas = Number(values.replicas);
    const server = await startServer({ simNodes: 100, keepDataDir: true });
    const client = new Client(loadKubeconfig(server.kubeconfig));
    while ((await client.list(Resources.nodes)).items.length < 100) await new Promise((r) => setTimeout(r, 200));
    const start = performance.now();
    await client.create(Resources.deployments, "default", {
      metadata: { name: "big" },
      spec: { replicas, selector: { matchLabels: { app: "big" } }, template: { metadata: { labels: { app: "big" } }, spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "10m" } } }] } } },
    });
    const deadline = Date.now() + 300_000;
    let ready = 0;
    while (ready < replicas && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      ready = Number((await client.get(Resources.deployments, "default", "big") as KubeObject & { status?: { readyReplicas?: number } }).status?.readyReplicas ?? 0);
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(`${`deployment of ${replicas}`.padEnd(28)} ${String(ready).padStart(6)} of ${replicas} pods Running and Ready in ${seconds.toFixed(1)} s: ${(ready / seconds).toFixed(0)} pods/s (100 simulated nodes, controllers and scheduler in the server)`);
    client.close();
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
