/**
 * The kubelet's `/metrics/cadvisor`: cAdvisor's container families (CPU and
 * CFS throttling, memory, disk I/O, filesystem usage, network, processes,
 * the cgroup's limits) with the kubelet's labels (`container`, `id`, `image`,
 * `name`, `namespace`, `pod`; every series has all six, empty where they do
 * not apply), and its machine families labelled `boot_id`, `machine_id`,
 * `system_uuid`. Each sample carries the time its stats were read, as
 * cAdvisor's; the start time and the spec (limits) carry none.
 * `container_scrape_error` is 1 when the runtime could not list containers.
 */
import type { ConstFamily, ConstSample } from "../../metrics/index.js";
import type { CgroupSpec } from "./cgroup-spec.js";
import type { CgroupStats } from "./cgroup-stats.js";
import type { MachineInfo } from "./machine-info.js";
import type { InterfaceStats } from "./net-dev.js";

/** The kubelet's base labels for a cgroup (pkg/kubelet/server's containerPrometheusLabelsFunc). */
export interface CadvisorLabels {
  /** The container's name in the pod; "" for the sandbox and for the pod's own cgroup. */
  container: string;
  /** The cgroup's path. */
  id: string;
  image: string;
  /** The runtime's container id ("" for the pod's cgroup). */
  name: string;
  namespace: string;
  pod: string;
}

/** A filesystem's usage by a cgroup, by the device cAdvisor names it with. */
export interface CadvisorFilesystem {
  device: string;
  usageBytes: number;
  /** The filesystem's size: what the container could fill. */
  limitBytes: number;
  inodesTotal?: number;
  inodesFree?: number;
}

/** The machine's figures and when they were read (ms since the epoch). */
export interface CadvisorMachine {
  info: MachineInfo;
  timestampMs: number;
}

/** One cgroup as cAdvisor reports it. */
export interface CadvisorContainer {
  labels: CadvisorLabels;
  stats: CgroupStats;
  spec: CgroupSpec;
  /** The container's writable layer, or for the root cgroup the node's filesystem; undefined for neither. */
  filesystem?: CadvisorFilesystem[];
  /** I/O by device name (`/dev/sda`), as cAdvisor names them; "" for a device it cannot name. */
  io: { device: string; readBytes: number; writeBytes: number }[];
  /** The pod's interfaces, on the sandbox only (cAdvisor reports a pod's network once, on the container whose namespace it is). */
  network?: InterfaceStats[];
  /** When the container (or cgroup) was made, in seconds since the epoch. */
  startTimeSeconds?: number;
  /** When the stats were read (ms since the epoch). */
  timestampMs: number;
}

type Family = Omit<ConstFamily, "samples">;
const family = (name: string, type: ConstFamily["type"], help: string): Family => ({ name, type, help });

/** cAdvisor's names and help texts (v0.51, what the v1.32 kubelet links). */
const F = {
  lastSeen: family("container_last_seen", "gauge", "Last time a container was seen by the exporter"),
  cpuUser: family("container_cpu_user_seconds_total", "counter", "Cumulative user cpu time consumed in seconds."),
  cpuSystem: family("container_cpu_system_seconds_total", "counter", "Cumulative system cpu time consumed in seconds."),
  cpuUsage: family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds."),
  cfsPeriods: family("container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals."),
  cfsThrottledPeriods: family("container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals."),
  cfsThrottledSeconds: family("container_cpu_cfs_throttled_seconds_total", "counter", "Total time duration the container has been throttled."),
  memCache: family("container_memory_cache", "gauge", "Number of bytes of page cache memory."),
  memRss: family("container_memory_rss", "gauge", "Size of RSS in bytes."),
  memMapped: family("container_memory_mapped_file", "gauge", "Size of memory mapped files in bytes."),
  memFailcnt: family("container_memory_failcnt", "counter", "Number of memory usage hits limits"),
  memUsage: family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed"),
  memMaxUsage: family("container_memory_max_usage_bytes", "gauge", "Maximum memory usage recorded in bytes"),
  memWorkingSet: family("container_memory_working_set_bytes", "gauge", "Current working set in bytes."),
  oomEvents: family("container_oom_events_total", "counter", "Count of out of memory events observed for the container"),
  fsInodesFree: family("container_fs_inodes_free", "gauge", "Number of available Inodes"),
  fsInodesTotal: family("container_fs_inodes_total", "gauge", "Number of Inodes"),
  fsLimit: family("container_fs_limit_bytes", "gauge", "Number of bytes that can be consumed by the container on this filesystem."),
  fsUsage: family("container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this filesystem."),
  fsReads: family("container_fs_reads_bytes_total", "counter", "Cumulative count of bytes read"),
  fsWrites: family("container_fs_writes_bytes_total", "counter", "Cumulative count of bytes written"),
  rxBytes: family("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received"),
  rxPackets: family("container_network_receive_packets_total", "counter", "Cumulative count of packets received"),
  rxDropped: family("container_network_receive_packets_dropped_total", "counter", "Cumulative count of packets dropped while receiving"),
  rxErrors: family("container_network_receive_errors_total", "counter", "Cumulative count of errors encountered while receiving"),
  txBytes: family("container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted"),
  txPackets: family("container_network_transmit_packets_total", "counter", "Cumulative count of packets transmitted"),
  txDropped: family("container_network_transmit_packets_dropped_total", "counter", "Cumulative count of packets dropped while transmitting"),
  txErrors: family("container_network_transmit_errors_total", "counter", "Cumulative count of errors encountered while transmitting"),
  processes: family("container_processes", "gauge", "Number of processes running inside the container."),
  threads: family("container_threads", "gauge", "Number of threads running inside the container"),
  threadsMax: family("container_threads_max", "gauge", "Maximum number of threads allowed inside the container, infinity if value is zero"),
  startTime: family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds."),
  cpuPeriod: family("container_spec_cpu_period", "gauge", "CPU period of the container."),
  cpuQuota: family("container_spec_cpu_quota", "gauge", "CPU quota of the container."),
  cpuShares: family("container_spec_cpu_shares", "gauge", "CPU share of the container."),
  memoryLimit: family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container."),
  memorySwapLimit: family("container_spec_memory_swap_limit_bytes", "gauge", "Memory swap limit for the container."),
  memoryReservation: family("container_spec_memory_reservation_limit_bytes", "gauge", "Memory reservation limit for the container."),
  scrapeError: family("container_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise"),
  machineCores: family("machine_cpu_cores", "gauge", "Number of logical CPU cores."),
  machinePhysicalCores: family("machine_cpu_physical_cores", "gauge", "Number of physical CPU cores."),
  machineSockets: family("machine_cpu_sockets", "gauge", "Number of CPU sockets."),
  machineMemory: family("machine_memory_bytes", "gauge", "Amount of memory installed on the machine."),
  machineScrapeError: family("machine_scrape_error", "gauge", "1 if there was an error while getting machine metrics, 0 otherwise."),
} as const;

type Key = keyof typeof F;

/** The families for these cgroups, or for none (listing failed: only the error gauge, set), and for the machine when given. */
export function cadvisorMetrics(containers: CadvisorContainer[] | undefined, now = Date.now(), machine?: CadvisorMachine): ConstFamily[] {
  const samples = Object.fromEntries(Object.keys(F).map((k) => [k, [] as ConstSample[]])) as Record<Key, ConstSample[]>;
  samples.scrapeError.push({ value: containers ? 0 : 1 });
  if (machine) machineSamples(samples, machine);
  for (const c of containers ?? []) {
    const base = { ...c.labels };
    const at = (k: Key, value: number, extra: Record<string, string> = {}) => samples[k].push({ labels: { ...base, ...extra }, value, timestampMs: c.timestampMs });
    samples.lastSeen.push({ labels: base, value: Math.floor(now / 1000), timestampMs: now });
    if (c.startTimeSeconds !== undefined) samples.startTime.push({ labels: base, value: Math.floor(c.startTimeSeconds) });
    const { cpu, cfs, memory, pids } = c.stats;
    const spec = (k: Key, value: number) => samples[k].push({ labels: base, value });
    if (c.spec.cpu) {
      spec("cpuPeriod", c.spec.cpu.periodUs);
      if (c.spec.cpu.quotaUs !== 0) spec("cpuQuota", c.spec.cpu.quotaUs);
      spec("cpuShares", c.spec.cpu.shares);
    }
    if (c.spec.memory) {
      // No limit is written as 0.
      spec("memoryLimit", c.spec.memory.limitBytes);
      spec("memorySwapLimit", c.spec.memory.swapLimitBytes);
      spec("memoryReservation", c.spec.memory.reservationBytes);
    }
    if (cpu) {
      at("cpuUser", cpu.userNs / 1e9);
      at("cpuSystem", cpu.systemNs / 1e9);
      // Without per-CPU figures (the kubelet does not ask for them) cAdvisor writes one "total" series, and none at 0.
      if (cpu.usageNs > 0) at("cpuUsage", cpu.usageNs / 1e9, { cpu: "total" });
    }
    // Throttling counts only for a cgroup with a quota, as cAdvisor's condition on the spec.
    if (cfs && c.spec.cpu?.quotaUs) {
      at("cfsPeriods", cfs.periods);
      at("cfsThrottledPeriods", cfs.throttledPeriods);
      at("cfsThrottledSeconds", cfs.throttledNs / 1e9);
    }
    if (memory) {
      at("memCache", memory.cacheBytes);
      at("memRss", memory.rssBytes);
      at("memMapped", memory.mappedFileBytes);
      if (memory.failcnt !== undefined) at("memFailcnt", memory.failcnt);
      at("memUsage", memory.usageBytes);
      if (memory.maxUsageBytes !== undefined) at("memMaxUsage", memory.maxUsageBytes);
      at("memWorkingSet", memory.workingSetBytes);
      if (memory.oomKills !== undefined) at("oomEvents", memory.oomKills);
    }
    for (const f of c.filesystem ?? []) {
      const device = { device: f.device };
      if (f.inodesFree !== undefined) at("fsInodesFree", f.inodesFree, device);
      if (f.inodesTotal !== undefined) at("fsInodesTotal", f.inodesTotal, device);
      at("fsLimit", f.limitBytes, device);
      at("fsUsage", f.usageBytes, device);
    }
    for (const d of c.io) {
      at("fsReads", d.readBytes, { device: d.device });
      at("fsWrites", d.writeBytes, { device: d.device });
    }
    for (const i of c.network ?? []) {
      const iface = { interface: i.name };
      at("rxBytes", i.rxBytes, iface);
      at("rxPackets", i.rxPackets, iface);
      at("rxDropped", i.rxDropped, iface);
      at("rxErrors", i.rxErrors, iface);
      at("txBytes", i.txBytes, iface);
      at("txPackets", i.txPackets, iface);
      at("txDropped", i.txDropped, iface);
      at("txErrors", i.txErrors, iface);
    }
    at("processes", c.stats.procs.length);
    if (pids) {
      at("threads", pids.current);
      at("threadsMax", pids.max ?? 0);
    }
  }
  return (Object.keys(F) as Key[]).filter((k) => !k.startsWith("machine") || machine).map((k) => ({ ...F[k], samples: samples[k] }));
}

/** cAdvisor's machine collector: one series each, labelled with the machine's ids, stamped with when the figures were read. */
function machineSamples(samples: Record<Key, ConstSample[]>, { info, timestampMs }: CadvisorMachine): void {
  const labels = { boot_id: info.bootId, machine_id: info.machineId, system_uuid: info.systemUuid };
  samples.machineCores.push({ labels, value: info.cores, timestampMs });
  samples.machinePhysicalCores.push({ labels, value: info.physicalCores, timestampMs });
  samples.machineSockets.push({ labels, value: info.sockets, timestampMs });
  samples.machineMemory.push({ labels, value: info.memoryBytes, timestampMs });
  samples.machineScrapeError.push({ value: 0 });
}
