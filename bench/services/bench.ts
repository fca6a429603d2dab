/**
 * Services benchmark (on demand: `npm run bench:services`, as root with
 * nftables). Against the built `skiff server` (no node of its own), it
 * measures:
 * - the time for the nftables proxier to program 1,000 Services with 10
 *   endpoints each, from its caches to the table in the kernel, and to apply
 *   one endpoint change with them in place (from the API write to the
 *   Service's chain refilled in the kernel), checked against the kernel;
 * - DNS queries answered per second by the cluster DNS for Service names,
 *   with the load from a worker thread on UDP over loopback.
 * The table is removed at the end. Nothing here asserts a time.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { parseArgs } from "node:util";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../src/client/index.js";
import { ClusterDns } from "../../src/dns/cluster-dns.js";
import { NftablesProxier, cleanupProxyRules, nftAvailable } from "../../src/proxy/nftables-proxier.js";
import { startServer } from "../../test/helpers/skiff-server.js";

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

await main();
