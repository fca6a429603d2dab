/**
 * Pod startup benchmark (on demand: `npm run bench:pod-startup`). For each
 * runtime the machine has (cri needs root and containerd; process always):
 * a `skiff server` without a node of its own, then `skiff agent` joining it,
 * timed from the agent's start to its node being Ready; then pods on that
 * node, timed from the create request to Running and Ready as a watch sees
 * them: 100 pods created at 5 per second, then a burst of 100 created at
 * once. Prints p50 and p99; nothing here asserts a time.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { containerdPaths, criUnavailableReason } from "../../src/kubelet/runtime/cri/containerd.js";
import { CriClient } from "../../src/kubelet/runtime/cri/cri-client.js";
import { killall, repoRoot, startServer } from "../../test/helpers/skiff-server.js";

const { values } = parseArgs({ options: { pods: { type: "string", default: "100" }, rate: { type: "string", default: "5" }, runtime: { type: "string" } } });
const PODS = Number(values.pods);
const RATE = Number(values.rate);
const NS = "startup";
const BRIDGE = "skiffbench2";

type Pod = KubeObject & { status?: { phase?: string; conditions?: { type: string; status: string }[] } };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const ms = (n: number) => `${n.toFixed(0)} ms`;

function pod(name: string, runtime: string): KubeObject {
  const image = runtime === "cri" ? "skiff.local/busybox:static" : "unused";
  return { metadata: { name, labels: { bench: "startup" } }, spec: { nodeName: "bench-agent", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image, command: ["sleep", "3600"] }] } } as KubeObject;
}

/** Creates pods (all at once, or `rate` a second) and returns each one's time from its create request to Running and Ready. */
async function startPods(client: Client, runtime: string, prefix: string, count: number, rate?: number): Promise<number[]> {
  const created = new Map<string, number>();
  const ready = new Map<string, number>();
  const rv = (await client.list(Resources.pods, NS, { limit: 1 })).metadata.resourceVersion;
  const abort = new AbortController();
  let allReady!: () => void;
  const done = new Promise<void>((r) => (allReady = r));
  const watching = client.watch<Pod>(Resources.pods, NS, { resourceVersion: rv }, (e) => {
    const p = e.object;
    const name = p.metadata.name!;
    if (ready.has(name) || !name.startsWith(prefix)) return;
    if (p.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
      ready.set(name, performance.now());
      if (ready.size === count) allReady();
    }
  }, abort.signal).catch(() => undefined);
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    created.set(name, performance.now());
    creates.push(client.create(Resources.pods, NS, pod(name, runtime)));
    if (rate) await new Promise((r) => setTimeout(r, 1000 / rate));
  }
  await Promise.all(creates);
  await Promise.race([done, new Promise((r) => setTimeout(r, 300_000))]);
  abort.abort();
  await watching;
  return [...ready].map(([name, t]) => t - created.get(name)!).sort((a, b) => a - b);
}

function report(label: string, latencies: number[], count: number): void {
  const last = latencies[latencies.length - 1] ?? NaN;
  console.log(`${label.padEnd(34)} ${String(latencies.length).padStart(3)}/${count} Running and Ready   p50 ${ms(percentile(latencies, 50)).padStart(8)}   p99 ${ms(percentile(latencies, 99)).padStart(8)}   slowest ${ms(last).padStart(8)}`);
}

/** Deletes the pods and waits until they are gone, from the API and (cri) from containerd, so rounds do not overlap. */
async function deleteAll(client: Client, cri?: CriClient): Promise<void> {
  await client.request("DELETE", `/api/v1/namespaces/${NS}/pods?labelSelector=bench%3Dstartup`, { gracePeriodSeconds: 0 });
  const deadline = Date.now() + 180_000;
  while ((await client.list(Resources.pods, NS)).items.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  while (cri && (await cri.listPodSandbox()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

async function runtimeRound(runtime: "cri" | "process"): Promise<void> {
  const server = await startServer({ keepDataDir: true });
  const agentDir = mkdtempSync(join(tmpdir(), "skiff-bench-agent-"));
  const client = new Client(loadKubeconfig(server.kubeconfig));
  const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
  const t0 = performance.now();
  const agent = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "agent", "--server", server.url, "--token", token, "--data-dir", agentDir,
    "--runtime", runtime, "--node-name", "bench-agent", "--kubelet-port", "0", "--pod-bridge", BRIDGE], { stdio: ["ignore", "ignore", "pipe"] });
  let agentLog = "";
  agent.stderr!.on("data", (d: Buffer) => { agentLog = (agentLog + d.toString()).slice(-4000); });
  const reap = () => agent.kill("SIGKILL");
  process.once("exit", reap);
  let cri: CriClient | undefined;
  try {
    for (;;) {
      const node = await client.get<Pod>(Resources.nodes, undefined, "bench-agent").catch(() => undefined);
      if (node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) break;
      if (agent.exitCode !== null) throw new Error(`the agent exited:\n${agentLog}`);
      if (performance.now() - t0 > 120_000) throw new Error(`the node was not Ready within 120 s:\n${agentLog}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`${runtime}: agent start to node Ready             ${ms(performance.now() - t0)} (including the CSR for its serving certificate${runtime === "cri" ? ", containerd's start and the image import" : ""})`);
    if (runtime === "cri") cri = new CriClient(containerdPaths(agentDir).socket);
    await client.create(Resources.namespaces, undefined, { metadata: { name: NS } });
    // The namespace's default ServiceAccount comes from a controller; pods wait for nothing else.
    while (!(await client.list(Resources.serviceaccounts, NS)).items.length) await new Promise((r) => setTimeout(r, 50));
    await startPods(client, runtime, "warm", 1);
    await deleteAll(client, cri);
    report(`${runtime}: ${PODS} pods at ${RATE}/s`, await startPods(client, runtime, "paced", PODS, RATE), PODS);
    await deleteAll(client, cri);
    report(`${runtime}: burst of ${PODS}`, await startPods(client, runtime, "burst", PODS), PODS);
    await deleteAll(client, cri);
  } finally {
    process.off("exit", reap);
    cri?.close();
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    client.close();
    await server.stop();
    killall(agentDir, BRIDGE);
    rmSync(agentDir, { recursive: true, force: true });
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`skiff pod startup benchmark — node ${process.version}`);
  const why = criUnavailableReason();
  if (values.runtime !== "process") {
    if (why) console.log(`cri: skipped (${why})`);
    else await runtimeRound("cri");
  }
  if (values.runtime !== "cri") await runtimeRound("process");
}

main().catch((err) => { console.error(err); process.exit(1); });
