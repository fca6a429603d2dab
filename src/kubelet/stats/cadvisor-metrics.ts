/**
 * The kubelet's `/metrics/cadvisor`: cAdvisor's container families (CPU,
 * memory, disk I/O, network, processes) with the kubelet's labels
 * (`container`, `id`, `image`, `name`, `namespace`, `pod`; every series has
 * all six, empty where they do not apply). Each sample carries the time its
 * stats were read, as cAdvisor's; the start time and the limit carry none.
 * `container_scrape_error` is 1 when the runtime could not list containers.
 */
import type { ConstFamily, ConstSample } from "../../metrics/index.js";
import type { CgroupStats } from "./cgroup-stats.js";
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

/** One cgroup as cAdvisor reports it. */
export interface CadvisorContainer {
  labels: CadvisorLabels;
  stats: CgroupStats;
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
  memCache: family("container_memory_cache", "gauge", "Number of bytes of page cache memory."),
  memRss: family("container_memory_rss", "gauge", "Size of RSS in bytes."),
  memMapped: family("container_memory_mapped_file", "gauge", "Size of memory mapped files in bytes."),
  memUsage: family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed"),
  memWorkingSet: family("container_memory_working_set_bytes", "gauge", "Current working set in bytes."),
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
  memoryLimit: family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container."),
  scrapeError: family("container_scrape_error", "gauge", "1 if there was an error while getting container metrics, 0 otherwise"),
} as const;

type Key = keyof typeof F;

/** The families for these cgroups, or for none (listing failed: only the error gauge, set). */
export function cadvisorMetrics(containers: CadvisorContainer[] | undefined, now = Date.now()): ConstFamily[] {
  const samples = Object.fromEntries(Object.keys(F).map((k) => [k, [] as ConstSample[]])) as Record<Key, ConstSample[]>;
  samples.scrapeError.push({ value: containers ? 0 : 1 });
  for (const c of containers ?? []) {
    const base = { ...c.labels };
    const at = (k: Key, value: number, extra: Record<string, string> = {}) => samples[k].push({ labels: { ...base, ...extra }, value, timestampMs: c.timestampMs });
    samples.lastSeen.push({ labels: base, value: Math.floor(now / 1000), timestampMs: now });
    if (c.startTimeSeconds !== undefined) samples.startTime.push({ labels: base, value: Math.floor(c.startTimeSeconds) });
    const { cpu, memory, pids } = c.stats;
    if (cpu) {
      at("cpuUser", cpu.userNs / 1e9);
      at("cpuSystem", cpu.systemNs / 1e9);
      // Without per-CPU figures (the kubelet does not ask for them) cAdvisor writes one "total" series, and none at 0.
      if (cpu.usageNs > 0) at("cpuUsage", cpu.usageNs / 1e9, { cpu: "total" });
    }
    if (memory) {
      at("memCache", memory.cacheBytes);
      at("memRss", memory.rssBytes);
      at("memMapped", memory.mappedFileBytes);
      at("memUsage", memory.usageBytes);
      at("memWorkingSet", memory.workingSetBytes);
      // No limit is written as 0.
      samples.memoryLimit.push({ labels: base, value: memory.limitBytes ?? 0 });
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
  return (Object.keys(F) as Key[]).map((k) => ({ ...F[k], samples: samples[k] }));
}
