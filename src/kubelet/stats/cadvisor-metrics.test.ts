import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { renderConstFamilies } from "../../metrics/index.js";
import type { Container, ContainerStats, PodSandbox } from "../runtime/cri/cri-client.js";
import { Labels } from "../types.js";
import { CgroupFs } from "./cgroup-stats.js";
import { CadvisorCollector, cadvisorContainersOf } from "./cadvisor-collector.js";
import { cadvisorMetrics } from "./cadvisor-metrics.js";
import { mountSource } from "./fs-usage.js";
import { machineInfo, parseCpuinfo } from "./machine-info.js";
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

/** Two sockets of two cores with two threads each. */
const CPUINFO = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => `processor\t: ${n}\nphysical id\t: ${n >> 2}\ncore id\t\t: ${(n >> 1) & 1}\n`).join("\n");

/** A cgroup v2 tree: the pod's cgroup, the sandbox's and nginx's. */
function v2Tree(): string {
  const cg = (path: string, f: { usage: number; user: number; system: number; current: number; inactive: number; anon: number; file: number; max: string; io: string; pids: number; procs: number[]; cpuMax?: string }) => ({
    [`cgroup/${path}/cpu.stat`]: `usage_usec ${f.usage}\nuser_usec ${f.user}\nsystem_usec ${f.system}\nnr_periods 40\nnr_throttled 7\nthrottled_usec 350000\n`,
    [`cgroup/${path}/cpu.weight`]: "79\n",
    [`cgroup/${path}/cpu.max`]: `${f.cpuMax ?? "max 100000"}\n`,
    [`cgroup/${path}/memory.peak`]: "45000000\n",
    [`cgroup/${path}/memory.events`]: "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n",
    [`cgroup/${path}/memory.events.local`]: "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n",
    [`cgroup/${path}/memory.swap.max`]: "max\n",
    [`cgroup/${path}/memory.min`]: "0\n",
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
    ...cg(`${POD_CGROUP}/${NGINX}`, { usage: 2_500_000, user: 1_500_000, system: 1_000_000, current: 40_000_000, inactive: 50_000_000, anon: 25_000_000, file: 15_000_000, max: "67108864", io: "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n", pids: 2, procs: [4300, 4301], cpuMax: "50000 100000" }),
    // The root cgroup: cpu.stat and memory.stat, but no limit files (no cpu.weight, cpu.max or memory.max at the root of v2).
    "cgroup/cpu.stat": "usage_usec 90000000\nuser_usec 60000000\nsystem_usec 30000000\n",
    "cgroup/memory.stat": "anon 100\nfile 200\nfile_mapped 0\ninactive_file 50\n",
    "cgroup/cgroup.procs": "1\n2\n",
    ...cg("/skiff", { usage: 3_000_000, user: 2_000_000, system: 1_000_000, current: 60_000_000, inactive: 0, anon: 30_000_000, file: 20_000_000, max: "max", io: "", pids: 3, procs: [] }),
    "proc/self/mountinfo": "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n40 22 0:50 / /var/lib/other rw - tmpfs tmpfs rw\n",
    "proc/4242/net/dev": NET_DEV,
    "proc/meminfo": "MemTotal:       2048000 kB\nMemFree:         1024000 kB\nMemAvailable:    1536000 kB\n",
    "proc/cpuinfo": CPUINFO,
    "proc/sys/kernel/random/boot_id": "boot-1\n",
    "etc/machine-id": "machine-1\n",
    "sys/class/dmi/id/product_uuid": "uuid-1\n",
    "sys/dev/block/8:0/uevent": "MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n",
  });
  // cAdvisor's creation time of a cgroup: its directory's modification time.
  const made = new Date(STARTED_MS);
  utimesSync(join(root, "cgroup", POD_CGROUP, NGINX), made, made);
  return root;
}

function fakeRuntime(extra: { sandboxes?: PodSandbox[]; containers?: Container[]; layerMount?: string } = {}) {
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
  const containerStats = async (id: string): Promise<ContainerStats> => {
    if (id !== NGINX) throw new Error(`container ${id} not found`);
    return { attributes: { id, metadata: { name: "nginx", attempt: 0 } }, writableLayer: { timestamp: NOW * 1e6, fsId: { mountpoint: extra.layerMount ?? tmpdir() }, usedBytes: { value: 12288 }, inodesUsed: { value: 3 } } };
  };
  return { listPodSandbox: async () => sandboxes, listContainers: async () => containers, containerStats };
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
const rootCgroup = `container="",id="/",image="",name="",namespace="",pod=""`;
const kubepods = `container="",id="/skiff",image="",name="",namespace="",pod=""`;

async function scrape(root: string, runtime = fakeRuntime({ layerMount: root })): Promise<string> {
  const collector = new CadvisorCollector({
    runtime, sandboxImage: "skiff.local/pause:3.10", podCgroup: (uid) => (uid === "uid-web" ? POD_CGROUP : undefined),
    nodeCgroups: ["/", "/skiff", "/skiff/besteffort"], rootFsPath: root,
    cgroups: new CgroupFs({ root: join(root, "cgroup"), procRoot: join(root, "proc") }), procRoot: join(root, "proc"), sysRoot: join(root, "sys"), etcRoot: join(root, "etc"), now: () => NOW,
  });
  return renderConstFamilies(cadvisorMetrics(await cadvisorContainersOf(collector, () => undefined), NOW, collector.machine()));
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
    assert.deepEqual(seen, [rootCgroup, kubepods, pod, sandbox, nginx], "the node's cgroups that exist (no BestEffort pod ran: none of its cgroup)");
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
      [`cgroup/cpu/${path}/cpu.stat`]: "nr_periods 12\nnr_throttled 3\nthrottled_time 250000000\nnr_bursts 0\nburst_time 0\n",
      [`cgroup/cpu/${path}/cpu.cfs_quota_us`]: "50000\n",
      [`cgroup/cpu/${path}/cpu.cfs_period_us`]: "100000\n",
      [`cgroup/cpu/${path}/cpu.shares`]: "512\n",
      [`cgroup/memory/${path}/memory.failcnt`]: "2\n",
      [`cgroup/memory/${path}/memory.max_usage_in_bytes`]: "50000000\n",
      [`cgroup/memory/${path}/memory.oom_control`]: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
      [`cgroup/memory/${path}/memory.memsw.limit_in_bytes`]: "9223372036854771712\n",
      [`cgroup/memory/${path}/memory.soft_limit_in_bytes`]: "33554432\n",
      // The root: usage, and a cpu hierarchy without a quota.
      "cgroup/cpuacct/cpuacct.usage": "90000000000\n",
      "cgroup/cpuacct/cpuacct.stat": "user 6000\nsystem 3000\n",
      "cgroup/cpu/cpu.cfs_quota_us": "-1\n",
      "cgroup/cpu/cpu.cfs_period_us": "100000\n",
      "cgroup/cpu/cpu.shares": "1024\n",
      "cgroup/cpu/cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
      "cgroup/memory/memory.usage_in_bytes": "1000000000\n",
      "cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
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
    assert.equal(at("container_cpu_cfs_periods_total"), 12, "the cpu hierarchy's cpu.stat");
    assert.equal(at("container_cpu_cfs_throttled_periods_total"), 3);
    assert.equal(at("container_cpu_cfs_throttled_seconds_total"), 0.25, "throttled_time in ns");
    assert.equal(at("container_spec_cpu_quota"), 50000);
    assert.equal(at("container_spec_cpu_period"), 100000);
    assert.equal(at("container_spec_cpu_shares"), 512);
    assert.equal(at("container_spec_memory_swap_limit_bytes"), 0, "memsw's unlimited");
    assert.equal(at("container_spec_memory_reservation_limit_bytes"), 33554432, "memory.soft_limit_in_bytes");
    assert.equal(at("container_memory_failcnt"), 2);
    assert.equal(at("container_memory_max_usage_bytes"), 50_000_000);
    assert.equal(at("container_oom_events_total"), 1, "oom_control's oom_kill");
    assert.equal(at("container_cpu_usage_seconds_total", rootCgroup.replace(",id=", ',cpu="total",id=')), 90);
    assert.equal(at("container_memory_usage_bytes", rootCgroup), 1e9);
    assert.equal(at("container_spec_cpu_shares", rootCgroup), 1024);
    assert.equal(at("container_spec_cpu_quota", rootCgroup), undefined, "cfs_quota_us of -1 is no quota");
    assert.equal(at("container_cpu_cfs_periods_total", rootCgroup), undefined, "no throttling series without a quota");
  });

  it("reports CFS throttling for a cgroup with a quota, and its limits as cAdvisor's spec (cgroup v2)", async () => {
    const s = series(await scrape(v2Tree()));
    const at = (name: string, labels = nginx) => s.get(`${name}{${labels}}`);
    assert.deepEqual(at("container_cpu_cfs_periods_total"), { value: 40, timestampMs: NOW });
    assert.equal(at("container_cpu_cfs_throttled_periods_total")?.value, 7);
    assert.equal(at("container_cpu_cfs_throttled_seconds_total")?.value, 0.35, "throttled_usec");
    assert.equal(at("container_cpu_cfs_periods_total", sandbox), undefined, "no quota (cpu.max of max): no throttling series");
    assert.deepEqual(at("container_spec_cpu_quota"), { value: 50000, timestampMs: undefined }, "cpu.max's quota");
    assert.equal(at("container_spec_cpu_period")?.value, 100000);
    assert.equal(at("container_spec_cpu_quota", sandbox), undefined, "no quota is not written");
    assert.equal(at("container_spec_cpu_period", sandbox)?.value, 100000);
    assert.equal(at("container_spec_cpu_shares")?.value, 2046, "cpu.weight 79 back to shares, as cAdvisor rounds it");
    assert.equal(at("container_spec_memory_swap_limit_bytes")?.value, 0, "memory.swap.max of max");
    assert.equal(at("container_spec_memory_reservation_limit_bytes")?.value, 0, "memory.min");
    assert.equal(at("container_memory_failcnt")?.value, 5, "memory.events' max");
    assert.equal(at("container_memory_max_usage_bytes")?.value, 45_000_000, "memory.peak");
    assert.equal(at("container_oom_events_total")?.value, 1, "memory.events.local's oom_kill");
  });

  it("reports the root cgroup and the pods' root cgroup, with the node's filesystem on the root and the writable layer on a container", async () => {
    const dir = v2Tree();
    const s = series(await scrape(dir));
    const at = (name: string, labels: string) => s.get(`${name}{${labels}}`)?.value;
    assert.equal(at("container_cpu_usage_seconds_total", rootCgroup.replace(",id=", ',cpu="total",id=')), 90, "the root's cpu.stat");
    assert.equal(at("container_memory_usage_bytes", rootCgroup), 1024000 * 1024, "v2's root has no memory.current: MemTotal less MemFree");
    assert.equal(at("container_processes", rootCgroup), 2);
    assert.equal(at("container_spec_memory_limit_bytes", rootCgroup), undefined, "the root has no memory.max");
    assert.equal(at("container_spec_cpu_shares", rootCgroup), undefined);
    assert.equal(at("container_memory_usage_bytes", kubepods), 60_000_000);
    const rootFs = rootCgroup.replace(",id=", ',device="/dev/sda1",id=');
    const disk = statfsSync(dir);
    assert.equal(at("container_fs_limit_bytes", rootFs), disk.blocks * disk.bsize, "the data directory's filesystem, named by its mount's source");
    assert.ok(at("container_fs_usage_bytes", rootFs)! > 0);
    assert.equal(at("container_fs_inodes_total", rootFs), disk.files);
    const layer = nginx.replace(",id=", ',device="/dev/sda1",id=');
    assert.equal(at("container_fs_usage_bytes", layer), 12288, "the runtime's writable_layer used_bytes");
    assert.equal(at("container_fs_limit_bytes", layer), disk.blocks * disk.bsize, "the snapshotter's filesystem");
    assert.equal([...s.keys()].filter((k) => k.startsWith("container_fs_usage_bytes")).length, 2, "none for the sandbox or the pod");
  });

  it("writes the machine's CPUs and memory labelled with its ids, as cAdvisor's machine collector", async () => {
    const text = await scrape(v2Tree());
    const s = series(text);
    const ids = `boot_id="boot-1",machine_id="machine-1",system_uuid="uuid-1"`;
    assert.deepEqual(s.get(`machine_cpu_cores{${ids}}`), { value: 8, timestampMs: NOW });
    assert.equal(s.get(`machine_cpu_physical_cores{${ids}}`)?.value, 4);
    assert.equal(s.get(`machine_cpu_sockets{${ids}}`)?.value, 2);
    assert.equal(s.get(`machine_memory_bytes{${ids}}`)?.value, 2048000 * 1024);
    assert.match(text, /^# HELP machine_cpu_cores Number of logical CPU cores\.\n# TYPE machine_cpu_cores gauge$/m);
  });

  it("reads cpuinfo without topology lines as one socket of single-thread cores", () => {
    assert.deepEqual(parseCpuinfo("processor : 0\nmodel name : x\n\nprocessor : 1\n"), { cores: 2, physicalCores: 2, sockets: 1 });
    assert.deepEqual(parseCpuinfo(CPUINFO), { cores: 8, physicalCores: 4, sockets: 2 });
    assert.equal(machineInfo({ procRoot: "/nonexistent", sysRoot: "/nonexistent", etcRoot: "/nonexistent" }).systemUuid, "");
  });

  it("names a path's filesystem by the source of the deepest mount above it", () => {
    const mountinfo = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 8:17 / /var/lib rw shared:1 - xfs /dev/sdb1 rw\n31 22 0:40 / /var/lib2 rw - tmpfs tmpfs rw\n";
    assert.equal(mountSource(mountinfo, "/var/lib/containerd/snapshots"), "/dev/sdb1", "optional fields before the separator");
    assert.equal(mountSource(mountinfo, "/var/lib2"), "tmpfs");
    assert.equal(mountSource(mountinfo, "/var/lib20/x"), "/dev/sda1", "a prefix that is not a parent directory does not count");
  });

  it("answers with the error gauge set when the runtime cannot list containers", async () => {
    const failing = { listPodSandbox: async () => { throw new Error("connection refused"); }, listContainers: async () => [], containerStats: async () => { throw new Error("unused"); } };
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
