/**
 * The kubelet's resource usage summary (upstream's `/stats/summary`, the
 * part metrics-server reads): CPU and memory per container from the runtime
 * (CRI ContainerStats), summed per pod, and the node's from /proc. Samples
 * are taken every 10 s, so rates are ready when asked for; a CPU rate is the
 * runtime's when it gives one, else the change between two samples.
 */
import { readFileSync } from "node:fs";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import { Labels } from "../types.js";

export interface CpuStats { time: string; usageNanoCores?: number; usageCoreNanoSeconds?: number }
export interface MemoryStats { time: string; workingSetBytes?: number; usageBytes?: number; availableBytes?: number; rssBytes?: number }
export interface ContainerSummary { name: string; startTime: string; cpu: CpuStats; memory: MemoryStats }
export interface PodSummary { podRef: { name: string; namespace: string; uid: string }; startTime: string; containers: ContainerSummary[]; cpu: CpuStats; memory: MemoryStats }
export interface Summary { node: { nodeName: string; startTime: string; cpu: CpuStats; memory: MemoryStats }; pods: PodSummary[] }

const SAMPLE_MS = 10_000;
/** /proc/stat counts in USER_HZ, 100 per second on Linux. */
const NS_PER_TICK = 1e7;

export class StatsProvider {
  private latest?: Summary;
  private readonly cpuSeen = new Map<string, { at: number; total: number }>();
  private readonly bootTime = new Date(Date.now() - uptimeSeconds() * 1000).toISOString();

  constructor(private readonly runtime: ContainerRuntime, private readonly nodeName: string) {}

  start(signal: AbortSignal): void {
    const timer = setInterval(() => void this.collect().catch(() => undefined), SAMPLE_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    void this.collect().catch(() => undefined);
  }

  /** The latest sample (taken now when there is none yet). */
  async summary(): Promise<Summary> {
    return this.latest ?? this.collect();
  }

  async collect(): Promise<Summary> {
    const now = Date.now();
    const time = new Date(now).toISOString();
    const pods = new Map<string, PodSummary>();
    for (const c of await this.runtime.listContainers({})) {
      if (c.state !== "CONTAINER_RUNNING") continue;
      const uid = c.labels[Labels.podUid];
      if (!uid || !c.labels[Labels.containerName]) continue;
      const stats = await this.runtime.containerStats(c.id).catch(() => undefined);
      if (!stats) continue;
      const total = stats.cpu?.usageCoreNanoSeconds?.value;
      const given = stats.cpu?.usageNanoCores?.value;
      const cpu: CpuStats = { time, usageCoreNanoSeconds: total, usageNanoCores: given || this.rate(c.id, now, total) };
      const memory: MemoryStats = { time, workingSetBytes: stats.memory?.workingSetBytes?.value, usageBytes: stats.memory?.usageBytes?.value, rssBytes: stats.memory?.rssBytes?.value };
      let pod = pods.get(uid);
      if (!pod) {
        pod = { podRef: { name: c.labels[Labels.podName]!, namespace: c.labels[Labels.podNamespace]!, uid }, startTime: new Date(c.createdAt / 1e6).toISOString(), containers: [], cpu: { time }, memory: { time } };
        pods.set(uid, pod);
      }
      pod.containers.push({ name: c.labels[Labels.containerName]!, startTime: new Date(c.createdAt / 1e6).toISOString(), cpu, memory });
    }
    for (const pod of pods.values()) {
      const sum = (get: (c: ContainerSummary) => number | undefined) => pod.containers.reduce((n, c) => n + (get(c) ?? 0), 0);
      pod.cpu = { time, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) };
      pod.memory = { time, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes) };
    }
    const busy = hostBusyTicks() * NS_PER_TICK;
    const mem = hostMemory();
    this.latest = {
      node: {
        nodeName: this.nodeName, startTime: this.bootTime,
        cpu: { time, usageCoreNanoSeconds: busy, usageNanoCores: this.rate("node", now, busy) },
        memory: { time, workingSetBytes: mem.total - mem.available, usageBytes: mem.total - mem.free, availableBytes: mem.available },
      },
      pods: [...pods.values()],
    };
    return this.latest;
  }

  /** Nanocores from the change of a cumulative CPU time since the previous sample. */
  private rate(key: string, now: number, total: number | undefined): number | undefined {
    if (total === undefined) return undefined;
    const prev = this.cpuSeen.get(key);
    this.cpuSeen.set(key, { at: now, total });
    if (!prev || now <= prev.at || total < prev.total) return undefined;
    return Math.round((total - prev.total) / ((now - prev.at) / 1000));
  }
}

function uptimeSeconds(): number {
  try { return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]); } catch { return 0; }
}

/** CPU ticks the host spent not idle, over all CPUs. */
function hostBusyTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith("cpu "));
  const v = (line ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - (v[3] ?? 0) - (v[4] ?? 0);
}

function hostMemory(): { total: number; available: number; free: number } {
  const kb = (name: string, text: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  const text = readFileSync("/proc/meminfo", "utf8");
  return { total: kb("MemTotal", text), available: kb("MemAvailable", text), free: kb("MemFree", text) };
}
