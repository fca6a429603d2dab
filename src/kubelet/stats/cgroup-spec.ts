/**
 * A cgroup's limits as cAdvisor's spec reads them (container/common's
 * getSpec): CPU shares, the CFS quota and period, and the memory limit,
 * swap limit and reservation. On v1 from the cpu and memory hierarchies
 * (cpu.shares, cpu.cfs_quota_us of -1 is no quota, memory.soft_limit_in_bytes
 * is the reservation); on v2 from cpu.weight (turned back into shares),
 * cpu.max, memory.max, memory.swap.max and memory.min. A value the file
 * gives as "max" or v1's near-2^63 reads as 0, which cAdvisor writes for none.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MAX_MEMORY, num, text, type CgroupFs } from "./cgroup-stats.js";

export interface CgroupSpec {
  /** Undefined where the cgroup has no cpu controller files (cAdvisor's HasCpu). */
  cpu?: { shares: number; periodUs: number; quotaUs: number };
  /** Undefined where the cgroup has no memory limit file (cAdvisor's HasMemory: v2's root has none). */
  memory?: { limitBytes: number; swapLimitBytes: number; reservationBytes: number };
}

export function cgroupSpec(cgroups: CgroupFs, path: string): CgroupSpec {
  return cgroups.unified ? specV2(join(cgroups.root, path)) : specV1(cgroups, path);
}

function specV1(cgroups: CgroupFs, path: string): CgroupSpec {
  const out: CgroupSpec = {};
  const cpu = cgroups.controllerDir("cpu", path);
  if (cpu) {
    const quota = num(text(join(cpu, "cpu.cfs_quota_us")));
    out.cpu = { shares: uint(join(cpu, "cpu.shares")), periodUs: uint(join(cpu, "cpu.cfs_period_us")), quotaUs: quota === undefined || quota < 0 ? 0 : quota };
  }
  const memory = cgroups.controllerDir("memory", path);
  if (memory) {
    out.memory = {
      limitBytes: bytes(join(memory, "memory.limit_in_bytes")),
      swapLimitBytes: bytes(join(memory, "memory.memsw.limit_in_bytes")),
      reservationBytes: bytes(join(memory, "memory.soft_limit_in_bytes")),
    };
  }
  return out;
}

function specV2(dir: string): CgroupSpec {
  const out: CgroupSpec = {};
  if (existsSync(join(dir, "cpu.weight"))) {
    const weight = uint(join(dir, "cpu.weight"));
    const [quota, period] = (text(join(dir, "cpu.max")) ?? "").trim().split(/\s+/);
    out.cpu = { shares: weight > 0 ? sharesOfWeight(weight) : 0, periodUs: Number(period) || 0, quotaUs: quota === "max" ? 0 : Number(quota) || 0 };
  }
  if (existsSync(join(dir, "memory.max"))) {
    out.memory = { limitBytes: bytes(join(dir, "memory.max")), swapLimitBytes: bytes(join(dir, "memory.swap.max")), reservationBytes: bytes(join(dir, "memory.min")) };
  }
  return out;
}

/** cpu.weight (1..10000) back to cpu.shares (2..262144), the inverse of the runtime's conversion, as cAdvisor computes it. */
function sharesOfWeight(weight: number): number {
  return Math.floor(((weight - 1) * 262142) / 9999) + 2;
}

function uint(file: string): number {
  return num(text(file)) ?? 0;
}

function bytes(file: string): number {
  const v = uint(file);
  return v > MAX_MEMORY ? 0 : v;
}
