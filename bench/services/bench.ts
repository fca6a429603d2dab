/**
 * Services benchmark (on demand: `npm run bench:services`, as root with
 * nftables). Against the built `skiff server` (no node of its own), it
 * measures:
 * - the time for the nftables proxier to program 1,000 Services with 10
 *   endpoints each, from its caches to the table in the kernel, and to apply
 *   one endpoint change with them in place (from the API write to the
 *   Service's chain refilled in the kernel), checked against the kernel;
 * - DNS queries answered per second by the cluster DNS for Service names,
 *   with the load from a worker thread on UDP over loopback;
 * - with containerd as well, HTTP requests per second and latency through a
 *   ClusterIP against the same pod addressed directly, from the node, each
 *   request on a new connection (so each is translated anew), on a
 *   `skiff server --runtime cri` of its own (bridge skiffbench1; its pods,
 *   bridge and rules are removed at the end).
 * The tables are removed at the end. Nothing here asserts a time.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { parseArgs } from "node:util";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { ClusterDns } from "../../src/dns/cluster-dns.js";
import { NftablesProxier, cleanupProxyRules, nftAvailable } from "../../src/proxy/nftables-proxier.js";
import { killall, startServer } from "../../test/helpers/skiff-server.js";
import { eventually, kubectlFor } from "../../test/helpers/kubectl.js";
import { criUnavailableReason } from "../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../src/kubelet/images/build.js";
import { get } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { values } = parseArgs({ options: { services: { type: "string", default: "1000" }, endpoints: { type: "string", default: "10" }, seconds: { type: "string", default: "5" } } });
const SERVICES = Number(values.services);
const ENDPOINTS = Number(values.endpoints);

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { for (let i = next++; i < items.length; i = next++) await fn(items[i]!); }));
}

const slice = (i: number, shift = 0): KubeObject => ({
  metadata: { name: `svc-${i}-slice`, labels: { "kubernetes.io/service-name": `svc-${i}` } },
  addressType: "IPv4",
  endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({ addresses: [`10.244.${100 + ((i * ENDPOINTS + e + shift) >> 8) % 150}.${(i * ENDPOINTS + e + shift) % 256}`], conditions: { ready: true }, nodeName: "bench" })),
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 1));
  }
}

const DNS_LOAD = `
const { parentPort, workerData } = require("node:worker_threads");
const dgram = require("node:dgram");
const { names, port, seconds, inflight } = workerData;
let answered = 0, id = 0;
const sock = dgram.createSocket("udp4");
function query(name) {
  const labels = name.split(".");
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 0) + 5);
  q.writeUInt16BE(id++ & 0xffff, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4);
  let o = 12;
  for (const l of labels) { q[o++] = l.length; o += q.write(l, o); }
  q[o++] = 0; q.writeUInt16BE(1, o); q.writeUInt16BE(1, o + 2);
  return q;
}
const queries = names.map(query);
let i = 0;
const send = () => sock.send(queries[i++ % queries.length], port, "127.0.0.1");
const end = Date.now() + seconds * 1000;
sock.on("message", () => { answered++; if (Date.now() < end) send(); });
sock.bind(0, () => { for (let k = 0; k < inflight; k++) send(); });
setTimeout(() => { parentPort.postMessage(answered); sock.close(); }, seconds * 1000 + 200);
`;

async function main(): Promise<void> {
  await using server = await startServer({ args: ["--disable-controllers"] });
  const client = new Client(loadKubeconfig(server.kubeconfig));
  const ids = Array.from({ length: SERVICES }, (_, i) => i);
  let t = performance.now();
  await inParallel(ids, 32, (i) => client.create(Resources.services, "default", { metadata: { name: `svc-${i}` }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } }));
  await inParallel(ids, 32, (i) => client.create(Resources.endpointslices, "default", slice(i)));
  console.log(`created ${SERVICES} Services with ${ENDPOINTS} endpoints each in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const abort = new AbortController();

  if (process.getuid?.() === 0 && nftAvailable()) {
    const proxier = new NftablesProxier(client, { nodeName: "bench", nodeIPs: [], bridge: "skiffbench0", table: "skiff-proxy-bench" });
    // The bench's table rejects pod traffic of other bridges: it must not outlive the bench.
    process.once("exit", () => cleanupProxyRules("skiff-proxy-bench"));
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
    const started = performance.now();
    await proxier.start(abort.signal);
    const synced = proxier.syncs;
    console.log(`proxy: ${SERVICES} Services x ${ENDPOINTS} endpoints programmed in ${(performance.now() - started).toFixed(0)} ms (caches, ruleset, nft -f)`);
    const times: number[] = [];
    for (let k = 1; k <= 5; k++) {
      const before = proxier.syncs;
      const current = await client.get(Resources.endpointslices, "default", "svc-7-slice");
      t = performance.now();
      await client.update(Resources.endpointslices, "default", { ...current, ...slice(7, k * 3) } as KubeObject);
      await until(() => proxier.syncs > before);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const last = slice(7, 5 * 3) as KubeObject & { endpoints: { addresses: string[] }[] };
    const listed = spawnSync("nft", ["list", "table", "ip", "skiff-proxy-bench"], { encoding: "utf8" }).stdout ?? "";
    const inKernel = last.endpoints.every((e) => listed.includes(`${e.addresses[0]} . 8080`));
    console.log(`proxy: one endpoint change applied in ${times[2]!.toFixed(0)} ms median of 5 (API write, watch, ruleset, nft); ${synced} initial sync; kernel holds the last change: ${inKernel}`);
    cleanupProxyRules("skiff-proxy-bench");
  } else {
    console.log("proxy: skipped (needs root and nft)");
  }

  const dns = new ClusterDns(client, { upstream: [] });
  await dns.start(abort.signal);
  const port = await dns.listen("127.0.0.1", 0);
  const names = ids.slice(0, 100).map((i) => `svc-${i}.default.svc.cluster.local`);
  const seconds = Number(values.seconds);
  const answered = await new Promise<number>((resolve, reject) => {
    const w = new Worker(DNS_LOAD, { eval: true, workerData: { names, port, seconds, inflight: 64 } });
    w.once("message", resolve);
    w.once("error", reject);
  });
  console.log(`dns: ${Math.round(answered / seconds)} queries/s answered (A records of Services, 64 in flight, ${seconds} s)`);
  await dns.stop();
  abort.abort();
  client.close();
}

/** Requests per second and latency percentiles of GETs to url, each on a new connection, `concurrency` at a time. */
async function load(url: string, seconds: number, concurrency: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const one = () => new Promise<void>((resolve) => {
    const t = performance.now();
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => { latencies.push(performance.now() - t); resolve(); });
    }).on("error", () => { errors++; resolve(); });
  });
  await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) await one(); }));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

/** ClusterIP against direct, on a node with real containers. */
async function throughput(seconds: number): Promise<void> {
  const why = criUnavailableReason();
  if (why) { console.log(`throughput: skipped (${why})`); return; }
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-bench-"));
  const bridge = "skiffbench1";
  const server = await startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", bridge, "--node-name", "bench-node", "--disable-ingress"] });
  try {
    const kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "bench-node"])), 60_000, 250);
    await kubectl.ok(["create", "deployment", "web", `--image=${BUSYBOX_IMAGE}`, "--", "sh", "-c", "mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"]);
    await kubectl.ok(["expose", "deployment", "web", "--port=80", "--target-port=8080"]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=90s"]);
    const podIP = (await kubectl.ok(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].status.podIP}"])).trim();
    const clusterIP = (await kubectl.ok(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"])).trim();
    await eventually(async () => (await load(`http://${clusterIP}/`, 0.2, 1)).errors === 0, 10_000, 200);
    const concurrency = 16;
    await load(`http://${podIP}:8080/`, 1, concurrency); // warm-up
    // One-second windows taken in turn, so that drift in the machine's load weighs on both alike.
    const direct = { rps: 0, p50: 0, p99: 0, errors: 0 };
    const viaService = { ...direct };
    for (let round = 0; round < seconds; round++) {
      for (const [url, sum] of [[`http://${podIP}:8080/`, direct], [`http://${clusterIP}/`, viaService]] as const) {
        const r = await load(url, 1, concurrency);
        sum.rps += r.rps / seconds;
        sum.p50 += r.p50 / seconds;
        sum.p99 = Math.max(sum.p99, r.p99);
        sum.errors += r.errors;
      }
    }
    const fmt = (r: typeof direct) => `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms (mean of windows), p99 ${r.p99.toFixed(2)} ms (worst window)${r.errors ? `, ${r.errors} errors` : ""}`;
    console.log(`throughput: pod directly ${fmt(direct)}`);
    console.log(`throughput: through its ClusterIP ${fmt(viaService)} (${(viaService.rps / direct.rps).toFixed(2)} of direct; ${concurrency} at a time, a new connection each, ${seconds} one-second windows each, in turn)`);
  } finally {
    await server.stop();
    killall(dataDir, bridge);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
if (process.getuid?.() === 0) await throughput(Number(values.seconds));
else console.log("throughput: skipped (needs root and containerd)");
