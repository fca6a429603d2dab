import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { renderConstFamilies } from "../../metrics/index.js";
import type { Container, PodSandbox } from "../runtime/cri/cri-client.js";
import { Labels } from "../types.js";
import { CgroupFs } from "./cgroup-stats.js";
import { CadvisorCollector, cadvisorContainersOf } from "./cadvisor-collector.js";
import { cadvisorMetrics } from "./cadvisor-metrics.js";
import { parseNetDev } from "./net-dev.js";

const NOW = Date.parse("2026-12-03T10:00:00.250Z");
const POD_CGROUP = "/skiff/burstable/poduid-web";
const SANDBOX = "a".repeat(64);
const NGINX = "b".repeat(64);
const CREATED_NS = Date.parse("2026-12-03T09:00:00.700Z") * 1e6;
const STARTED_MS = Date.parse("2026-12-03T09:00:01.700Z");

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A directory tree of files, written under a fresh temporary root. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "skiff-cadvisor-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:  123456     321    1    2    0     0          0         0    65432     210    3    4    0     0       0          0
`;

/** A cgroup v2 tree: the pod's cgroup, the sandbox's and nginx's. */
function v2Tree(): string {
  const cg = (path: string, f: { usage: number; user: number; system: number; current: number; inactive: number; anon: number; file: number; max: string; io: string; pids: number; procs: number[] }) => ({
    [`cgroup/${path}/cpu.stat`]: `usage_usec ${f.usage}\nuser_usec ${f.user}\nsystem_usec ${f.system}\nnr_periods 0\n`,
    [`cgroup/${path}/memory.current`]: `${f.current}\n`,
    [`cgroup/${path}/memory.stat`]: `anon ${f.anon}\nfile ${f.file}\nfile_mapped 4096\ninactive_file ${f.inactive}\nactive_file 100\n`,
    [`cgroup/${path}/memory.max`]: `${f.max}\n`,
    [`cgroup/${path}/io.stat`]: f.io,
    [`cgroup/${path}/pids.current`]: `${f.pids}\n`,
    [`cgroup/${path}/pids.max`]: "max\n",
    [`cgroup/${path}/cgroup.procs`]: f.procs.map((p) => `${p}\n`).join(""),
  });
  const root = tree({
    "cgroup/cgroup.controllers": "cpu memory io pids\n",
    ...cg(POD_CGROUP, { usage: 3_000_000, user: 2_000_000, system: 1_000_000, current: 50_000_000, inactive: 10_000_000, anon: 30_000_000, file: 20_000_000, max: "max", io: "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n", pids: 3, procs: [] }),
    ...cg(`${POD_CGROUP}/${SANDBOX}`, { usage: 10_000, user: 5_000, system: 5_000, current: 300_000, inactive: 0, anon: 200_000, file: 0, max: "max", io: "", pids: 1, procs: [4242] }),
    ...cg(`${POD_CGROUP}/${NGINX}`, { usage: 2_500_000, user: 1_500_000, system: 1_000_000, current: 40_000_000, inactive: 50_000_000, anon: 25_000_000, file: 15_000_000, max: "67108864", io: "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n", pids: 2, procs: [4300, 4301] }),
    "proc/4242/net/dev": NET_DEV,
    "sys/dev/block/8:0/uevent": "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n",
  });
  // cAdvisor's creation time of a cgroup: its directory's modification time.
  const made = new Date(STARTED_MS);
  utimesSync(join(root, "cgroup", POD_CGROUP, NGINX), made, made);
  return root;
}

function fakeRuntime(extra: { sandboxes?: PodSandbox[]; containers?: Container[] } = {}) {
  const podLabels = { [Labels.podName]: "web", [Labels.podNamespace]: "default", [Labels.podUid]: "uid-web" };
  const sandboxes: PodSandbox[] = [
    { id: SANDBOX, metadata: { name: "web", uid: "uid-web", namespace: "default", attempt: 0 }, state: "SANDBOX_READY", createdAt: CREATED_NS, labels: podLabels, annotations: {} },
    ...(extra.sandboxes ?? []),
  ];
  const containers: Container[] = [
    { id: NGINX, podSandboxId: SANDBOX, metadata: { name: "nginx", attempt: 0 }, image: { image: "nginx:1.27" }, imageRef: "sha256:1", state: "CONTAINER_RUNNING", createdAt: CREATED_NS + 1e9, labels: { ...podLabels, [Labels.containerName]: "nginx" }, annotations: {} },
    // An exited container, and one of a pod the kubelet does not know, are not reported.
    { id: "c".repeat(64), podSandboxId: SANDBOX, metadata: { name: "init", attempt: 0 }, image: { image: "busybox" }, imageRef: "sha256:2", state: "CONTAINER_EXITED", createdAt: CREATED_NS, labels: { ...podLabels, [Labels.containerName]: "init" }, annotations: {} },
    ...(extra.containers ?? []),
  ];
  return { listPodSandbox: async () => sandboxes, listContainers: async () => containers };
}

/** The samples of an exposition by `name{labels}` as written, with their timestamps. */
function series(text: string): Map<string, { value: number; timestampMs?: number }> {
  const out = new Map<string, { value: number; timestampMs?: number }>();
  for (const m of text.matchAll(/^(\w+(?:\{[^}]*\})?) (\S+)(?: (\d+))?$/gm)) out.set(m[1]!, { value: Number(m[2]), timestampMs: m[3] === undefined ? undefined : Number(m[3]) });
  return out;
}

const nginx = `container="nginx",id="${POD_CGROUP}/${NGINX}",image="nginx:1.27",name="${NGINX}",namespace="default",pod="web"`;
const sandbox = `container="",id="${POD_CGROUP}/${SANDBOX}",image="skiff.local/pause:3.10",name="${SANDBOX}",namespace="default",pod="web"`;
const pod = `container="",id="${POD_CGROUP}",image="",name="",namespace="default",pod="web"`;

async function scrape(root: string, runtime = fakeRuntime()): Promise<string> {
  const collector = new CadvisorCollector({
    runtime, sandboxImage: "skiff.local/pause:3.10", podCgroup: (uid) => (uid === "uid-web" ? POD_CGROUP : undefined),
    cgroups: new CgroupFs({ root: join(root, "cgroup") }), procRoot: join(root, "proc"), sysRoot: join(root, "sys"), now: () => NOW,
  });
  return renderConstFamilies(cadvisorMetrics(await cadvisorContainersOf(collector, () => undefined), NOW));
}

describe("cAdvisor metrics (/metrics/cadvisor)", () => {
  it("reads each running container's cgroup v2 files into cAdvisor's families, with the kubelet's labels", async () => {
    const text = await scrape(v2Tree());
    const s = series(text);
    const at = (name: string, labels: string) => s.get(`${name}{${labels}}`);
    assert.deepEqual(at("container_cpu_usage_seconds_total", `${nginx.replace(',id=', ',cpu="total",id=')}`), { value: 2.5, timestampMs: NOW }, "usage_usec, stamped with the read's time");
    assert.equal(at("container_cpu_user_seconds_total", nginx)?.value, 1.5);
    assert.equal(at("container_cpu_system_seconds_total", nginx)?.value, 1);
    assert.equal(at("container_memory_usage_bytes", nginx)?.value, 40_000_000, "memory.current");
    assert.equal(at("container_memory_working_set_bytes", nginx)?.value, 0, "less inactive_file, never below 0");
    assert.equal(at("container_memory_working_set_bytes", pod)?.value, 40_000_000);
    assert.equal(at("container_memory_rss", nginx)?.value, 25_000_000, "anon");
    assert.equal(at("container_memory_cache", nginx)?.value, 15_000_000, "file");
    assert.equal(at("container_memory_mapped_file", nginx)?.value, 4096);
    assert.deepEqual(at("container_spec_memory_limit_bytes", nginx), { value: 67108864, timestampMs: undefined });
    assert.equal(at("container_spec_memory_limit_bytes", sandbox)?.value, 0, "memory.max of max is no limit, written 0");
    assert.equal(at("container_fs_reads_bytes_total", `${nginx.replace(",id=", ',device="/dev/sda",id=')}`)?.value, 4096);
    assert.equal(at("container_fs_writes_bytes_total", `${nginx.replace(",id=", ',device="/dev/sda",id=')}`)?.value, 8192);
    assert.equal(at("container_processes", nginx)?.value, 2);
    assert.equal(at("container_threads", nginx)?.value, 2, "pids.current");
    assert.equal(at("container_threads_max", nginx)?.value, 0, "pids.max of max is written 0");
    assert.deepEqual(at("container_start_time_seconds", nginx), { value: Date.parse("2026-12-03T09:00:01Z") / 1000, timestampMs: undefined }, "whole seconds");
    assert.deepEqual(at("container_last_seen", nginx), { value: Math.floor(NOW / 1000), timestampMs: NOW });
    assert.equal(s.get("container_scrape_error")?.value, 0);
  });

  it("reports the pod's network on its sandbox only, without loopback", async () => {
    const s = series(await scrape(v2Tree()));
    const eth0 = sandbox.replace(",name=", ',interface="eth0",name=');
    assert.equal(s.get(`container_network_receive_bytes_total{${eth0}}`)?.value, 123456);
    assert.equal(s.get(`container_network_receive_packets_total{${eth0}}`)?.value, 321);
    assert.equal(s.get(`container_network_receive_errors_total{${eth0}}`)?.value, 1);
    assert.equal(s.get(`container_network_receive_packets_dropped_total{${eth0}}`)?.value, 2);
    assert.equal(s.get(`container_network_transmit_bytes_total{${eth0}}`)?.value, 65432);
    assert.equal(s.get(`container_network_transmit_packets_total{${eth0}}`)?.value, 210);
    assert.equal(s.get(`container_network_transmit_errors_total{${eth0}}`)?.value, 3);
    assert.equal(s.get(`container_network_transmit_packets_dropped_total{${eth0}}`)?.value, 4);
    const networkSeries = [...s.keys()].filter((k) => k.startsWith("container_network_"));
    assert.equal(networkSeries.length, 8, networkSeries.join("\n"));
  });

  it("writes cAdvisor's help texts and types, one series per cgroup: the pod's, its sandbox's and its running containers'", async () => {
    const text = await scrape(v2Tree());
    assert.match(text, /^# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds\.\n# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(text, /^# HELP container_memory_working_set_bytes Current working set in bytes\.\n# TYPE container_memory_working_set_bytes gauge$/m);
    assert.match(text, /^# HELP container_spec_memory_limit_bytes Memory limit for the container\.$/m);
    const seen = [...text.matchAll(/^container_last_seen\{(.*)\} /gm)].map((m) => m[1]);
    assert.deepEqual(seen, [pod, sandbox, nginx]);
  });

  it("reads the per-controller hierarchies of cgroup v1 the same way", async () => {
    const path = `${POD_CGROUP}/${NGINX}`;
    const root = tree({
      [`cgroup/cpuacct/${path}/cpuacct.usage`]: "2500000000\n",
      [`cgroup/cpuacct/${path}/cpuacct.stat`]: "user 150\nsystem 100\n",
      [`cgroup/cpuacct/${path}/cgroup.procs`]: "4300\n",
      [`cgroup/memory/${path}/memory.usage_in_bytes`]: "40000000\n",
      [`cgroup/memory/${path}/memory.limit_in_bytes`]: "9223372036854771712\n",
      [`cgroup/memory/${path}/memory.stat`]: "cache 1\nrss 2\ntotal_cache 15000000\ntotal_rss 25000000\ntotal_mapped_file 4096\ntotal_inactive_file 10000000\n",
      [`cgroup/blkio/${path}/blkio.io_service_bytes_recursive`]: "Total 0\n",
      [`cgroup/blkio/${path}/blkio.throttle.io_service_bytes_recursive`]: "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\nTotal 12288\n",
      [`cgroup/pids/${path}/pids.current`]: "1\n",
      [`cgroup/pids/${path}/pids.max`]: "100\n",
      "sys/dev/block/8:0/uevent": "DEVNAME=sda\n",
    });
    const s = series(await scrape(root));
    const at = (name: string, labels = nginx) => s.get(`${name}{${labels}}`)?.value;
    assert.equal(at("container_cpu_usage_seconds_total", nginx.replace(",id=", ',cpu="total",id=')), 2.5, "cpuacct.usage");
    assert.equal(at("container_cpu_user_seconds_total"), 1.5, "cpuacct.stat's USER_HZ ticks");
    assert.equal(at("container_cpu_system_seconds_total"), 1);
    assert.equal(at("container_memory_usage_bytes"), 40_000_000);
    assert.equal(at("container_memory_working_set_bytes"), 30_000_000, "less total_inactive_file");
    assert.equal(at("container_memory_rss"), 25_000_000, "the hierarchy's total_rss");
    assert.equal(at("container_memory_cache"), 15_000_000);
    assert.equal(at("container_spec_memory_limit_bytes"), 0, "v1's unlimited");
    assert.equal(at("container_fs_reads_bytes_total", nginx.replace(",id=", ',device="/dev/sda",id=')), 4096, "the throttle counts where CFQ's are empty");
    assert.equal(at("container_fs_writes_bytes_total", nginx.replace(",id=", ',device="/dev/sda",id=')), 8192);
    assert.equal(at("container_threads"), 1);
    assert.equal(at("container_threads_max"), 100);
    assert.equal(at("container_last_seen", sandbox), undefined, "a cgroup that does not exist is not reported");
  });

  it("answers with the error gauge set when the runtime cannot list containers", async () => {
    const failing = { listPodSandbox: async () => { throw new Error("connection refused"); }, listContainers: async () => [] };
    let logged: unknown;
    const collector = new CadvisorCollector({ runtime: failing, sandboxImage: "p", podCgroup: () => "/x", cgroups: new CgroupFs({ root: tree({}) }) });
    const text = renderConstFamilies(cadvisorMetrics(await cadvisorContainersOf(collector, (err) => { logged = err; })));
    assert.equal(text, "# HELP container_scrape_error 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE container_scrape_error gauge\ncontainer_scrape_error 1\n");
    assert.match(String(logged), /connection refused/);
  });

  it("reads /proc/net/dev as cAdvisor does: a malformed line makes the file untrusted; veth and lo are left out", () => {
    assert.deepEqual(parseNetDev(NET_DEV)?.map((i) => i.name), ["eth0"]);
    assert.equal(parseNetDev(NET_DEV.replace("eth0:  123456", "eth0:")), undefined);
    assert.deepEqual(parseNetDev(NET_DEV.replace("eth0", "vethab12"))?.map((i) => i.name), []);
  });
});
