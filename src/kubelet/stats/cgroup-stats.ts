/**
 * A cgroup's usage as cAdvisor's libcontainer handler reads it, from the
 * unified hierarchy (cgroup v2: cpu.stat, memory.current, memory.stat,
 * memory.max, memory.peak, memory.events, io.stat, pids.current) or, on a
 * host that still mounts one hierarchy per controller (v1), from cpuacct,
 * cpu (cpu.stat's CFS counts), memory, blkio and pids. The
 * paths are the runtime's cgroupsPath (`/skiff/besteffort/pod<uid>/<id>`),
 * under a root that tests point at a fake tree.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface CgroupStats {
  cpu?: { usageNs: number; userNs: number; systemNs: number };
  /** CFS bandwidth control's counts (cpu.stat): enforcement periods elapsed, those throttled, and the time throttled. */
  cfs?: { periods: number; throttledPeriods: number; throttledNs: number };
  memory?: {
    usageBytes: number; workingSetBytes: number; rssBytes: number; cacheBytes: number; mappedFileBytes: number;
    /** The limit; undefined when there is none. */
    limitBytes?: number;
    /** How often usage hit the limit (v1's memory.failcnt, v2's `max` event); undefined where the files are not. */
    failcnt?: number;
    /** The highest usage recorded (v1's memory.max_usage_in_bytes, v2's memory.peak on kernels that have it). */
    maxUsageBytes?: number;
    /** Processes the OOM killer ended in this cgroup (v1's oom_control, v2's memory.events.local `oom_kill`). */
    oomKills?: number;
  };
  /** Bytes read and written, per device (`major:minor`). */
  io: { device: string; readBytes: number; writeBytes: number }[];
  /** pids.current and pids.max (undefined: no limit). */
  pids?: { current: number; max?: number };
  /** The processes in the cgroup itself (cgroup.procs). */
  procs: number[];
}

export interface CgroupFsOptions {
  /** Where the cgroup hierarchies are mounted: /sys/fs/cgroup. */
  root?: string;
  /** Where /proc is (v2's root cgroup has no memory.current: its usage comes from meminfo). */
  procRoot?: string;
}

/** v1's cpuacct.stat counts in USER_HZ, 100 a second on Linux. */
const NS_PER_TICK = 1e7;
/** Above this a limit means none (cAdvisor's maxMemorySize, 1 << 62): v1's unlimited is 2^63 rounded down to a page. */
export const MAX_MEMORY = 2 ** 62;

export class CgroupFs {
  readonly root: string;
  private readonly procRoot: string;

  constructor(options: CgroupFsOptions = {}) {
    this.root = options.root ?? "/sys/fs/cgroup";
    this.procRoot = options.procRoot ?? "/proc";
  }

  /** Whether the host mounts the unified hierarchy (cgroup v2) at the root. */
  get unified(): boolean {
    return existsSync(join(this.root, "cgroup.controllers"));
  }

  /** The directory of the cgroup at path in the hierarchy of a v1 controller (`cpu` may be mounted with cpuacct); undefined when there is none. */
  controllerDir(controller: string, path: string): string | undefined {
    for (const name of controller === "cpuacct" || controller === "cpu" ? [controller, "cpu,cpuacct"] : [controller]) {
      const dir = join(this.root, name, path);
      if (existsSync(dir)) return dir;
    }
    return undefined;
  }

  /** The cgroup's stats; undefined when it does not exist (the container is gone, or has no cgroup of its own). */
  read(path: string): CgroupStats | undefined {
    return this.unified ? this.readV2(path) : this.readV1(path);
  }

  /**
   * When the cgroup was made as cAdvisor's raw handler tells it: the earliest
   * modification time of its directories (ms); undefined when there are none.
   */
  createdMs(path: string): number | undefined {
    const dirs = this.unified ? [join(this.root, path)] : ["cpu", "cpuacct", "cpu,cpuacct", "memory", "pids"].map((c) => join(this.root, c, path));
    const times = dirs.flatMap((d) => { try { return [statSync(d).mtimeMs]; } catch { return []; } });
    return times.length ? Math.min(...times) : undefined;
  }

  private readV2(path: string): CgroupStats | undefined {
    const dir = join(this.root, path);
    if (!existsSync(dir)) return undefined;
    const cpu = keyed(text(join(dir, "cpu.stat")));
    const mem = keyed(text(join(dir, "memory.stat")));
    const usage = num(text(join(dir, "memory.current"))) ?? (path === "/" ? this.meminfoUsage() : undefined);
    const pidsCurrent = num(text(join(dir, "pids.current")));
    const events = keyed(text(join(dir, "memory.events")));
    const localEvents = keyed(text(join(dir, "memory.events.local")));
    return {
      cpu: cpu.usage_usec === undefined ? undefined : { usageNs: cpu.usage_usec * 1000, userNs: (cpu.user_usec ?? 0) * 1000, systemNs: (cpu.system_usec ?? 0) * 1000 },
      cfs: cpu.nr_periods === undefined ? undefined : { periods: cpu.nr_periods, throttledPeriods: cpu.nr_throttled ?? 0, throttledNs: (cpu.throttled_usec ?? 0) * 1000 },
      memory: usage === undefined ? undefined : {
        usageBytes: usage, workingSetBytes: workingSet(usage, mem.inactive_file), rssBytes: mem.anon ?? 0, cacheBytes: mem.file ?? 0,
        mappedFileBytes: mem.file_mapped ?? 0, limitBytes: limit(text(join(dir, "memory.max"))),
        failcnt: events.max, maxUsageBytes: num(text(join(dir, "memory.peak"))), oomKills: localEvents.oom_kill ?? events.oom_kill,
      },
      io: ioStatV2(text(join(dir, "io.stat"))),
      pids: pidsCurrent === undefined ? undefined : { current: pidsCurrent, max: limit(text(join(dir, "pids.max"))) },
      procs: procs(text(join(dir, "cgroup.procs"))),
    };
  }

  /** The machine's memory in use, MemTotal less MemFree, as runc counts v2's root cgroup (which has no memory.current). */
  private meminfoUsage(): number | undefined {
    const info = text(join(this.procRoot, "meminfo")) ?? "";
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? NaN);
    const used = (kb("MemTotal") - kb("MemFree")) * 1024;
    return Number.isNaN(used) ? undefined : used;
  }

  private readV1(path: string): CgroupStats | undefined {
    const at = (controller: string) => this.controllerDir(controller, path);
    const cpuacct = at("cpuacct");
    const cpuDir = at("cpu");
    const memory = at("memory");
    if (!cpuacct && !memory) return undefined;
    const blkio = at("blkio");
    const pids = at("pids");
    const usage = memory ? num(text(join(memory, "memory.usage_in_bytes"))) : undefined;
    const mem = memory ? keyed(text(join(memory, "memory.stat"))) : {};
    const ticks = cpuacct ? keyed(text(join(cpuacct, "cpuacct.stat"))) : {};
    const total = cpuacct ? num(text(join(cpuacct, "cpuacct.usage"))) : undefined;
    const pidsCurrent = pids ? num(text(join(pids, "pids.current"))) : undefined;
    const cfs = cpuDir ? keyed(text(join(cpuDir, "cpu.stat"))) : {};
    const oomControl = memory ? keyed(text(join(memory, "memory.oom_control"))) : {};
    // CFQ's io_service_bytes is empty under other schedulers; the throttle files count for all (as runc falls back).
    const service = blkio ? ioServiceBytesV1(text(join(blkio, "blkio.io_service_bytes_recursive"))) : [];
    return {
      cpu: total === undefined ? undefined : { usageNs: total, userNs: (ticks.user ?? 0) * NS_PER_TICK, systemNs: (ticks.system ?? 0) * NS_PER_TICK },
      cfs: cfs.nr_periods === undefined ? undefined : { periods: cfs.nr_periods, throttledPeriods: cfs.nr_throttled ?? 0, throttledNs: cfs.throttled_time ?? 0 },
      memory: usage === undefined ? undefined : {
        usageBytes: usage, workingSetBytes: workingSet(usage, mem.total_inactive_file), rssBytes: mem.total_rss ?? 0, cacheBytes: mem.total_cache ?? 0,
        mappedFileBytes: mem.total_mapped_file ?? 0, limitBytes: limit(text(join(memory!, "memory.limit_in_bytes"))),
        failcnt: num(text(join(memory!, "memory.failcnt"))), maxUsageBytes: num(text(join(memory!, "memory.max_usage_in_bytes"))), oomKills: oomControl.oom_kill,
      },
      io: service.length || !blkio ? service : ioServiceBytesV1(text(join(blkio, "blkio.throttle.io_service_bytes_recursive"))),
      pids: pidsCurrent === undefined ? undefined : { current: pidsCurrent, max: limit(text(join(pids!, "pids.max"))) },
      procs: procs(text(join(cpuacct ?? memory!, "cgroup.procs"))),
    };
  }
}

/** Usage less the inactive page cache, the part the kernel reclaims first (what the eviction manager watches). */
function workingSet(usage: number, inactiveFile: number | undefined): number {
  return inactiveFile === undefined ? usage : Math.max(0, usage - inactiveFile);
}

/** A cgroup file's text; undefined when it cannot be read. */
export function text(file: string): string | undefined {
  try { return readFileSync(file, "utf8"); } catch { return undefined; }
}

/** A file's one number; undefined for none or another word ("max"). */
export function num(s: string | undefined): number | undefined {
  const v = Number((s ?? "").trim());
  return s === undefined || (s ?? "").trim() === "" || Number.isNaN(v) ? undefined : v;
}

/** A limit file's value: "max" (v2) or a huge number (v1) is none. */
function limit(s: string | undefined): number | undefined {
  const v = num(s);
  return v === undefined || v > MAX_MEMORY ? undefined : v;
}

/** `key value` lines (cpu.stat, memory.stat, cpuacct.stat). */
function keyed(s: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (s ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && !Number.isNaN(Number(v))) out[k] = Number(v);
  }
  return out;
}

function procs(s: string | undefined): number[] {
  return (s ?? "").split("\n").filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

/** v2's io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0` per device. */
function ioStatV2(s: string | undefined): CgroupStats["io"] {
  const out: CgroupStats["io"] = [];
  for (const line of (s ?? "").split("\n")) {
    const [device, ...fields] = line.trim().split(/\s+/);
    if (!device || !/^\d+:\d+$/.test(device)) continue;
    const kv = Object.fromEntries(fields.map((f) => f.split("=")).map(([k, v]) => [k, Number(v)]));
    out.push({ device, readBytes: kv.rbytes ?? 0, writeBytes: kv.wbytes ?? 0 });
  }
  return out;
}

/** v1's blkio io_service_bytes: `8:0 Read 1`, `8:0 Write 2`, ... and a `Total` line. */
function ioServiceBytesV1(s: string | undefined): CgroupStats["io"] {
  const byDevice = new Map<string, { device: string; readBytes: number; writeBytes: number }>();
  for (const line of (s ?? "").split("\n")) {
    const [device, op, value] = line.trim().split(/\s+/);
    if (!device || !/^\d+:\d+$/.test(device) || (op !== "Read" && op !== "Write")) continue;
    const entry = byDevice.get(device) ?? { device, readBytes: 0, writeBytes: 0 };
    if (op === "Read") entry.readBytes = Number(value);
    else entry.writeBytes = Number(value);
    byDevice.set(device, entry);
  }
  return [...byDevice.values()];
}
