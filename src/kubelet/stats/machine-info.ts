/**
 * The machine as cAdvisor's machine collector describes it: logical CPUs,
 * physical cores and sockets from /proc/cpuinfo (`processor`, `core id`,
 * `physical id`), the memory installed from /proc/meminfo's MemTotal, and the
 * ids it labels each machine_* series with (boot_id, machine_id,
 * system_uuid; the same files node status reads for nodeInfo).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface MachineInfo {
  cores: number;
  physicalCores: number;
  sockets: number;
  memoryBytes: number;
  bootId: string;
  machineId: string;
  systemUuid: string;
}

export interface MachineRoots {
  procRoot?: string;
  sysRoot?: string;
  etcRoot?: string;
}

export function machineInfo(roots: MachineRoots = {}): MachineInfo {
  const proc = roots.procRoot ?? "/proc";
  const sys = roots.sysRoot ?? "/sys";
  const etc = roots.etcRoot ?? "/etc";
  const cpus = parseCpuinfo(read(join(proc, "cpuinfo")));
  const memKb = Number(/^MemTotal:\s+(\d+)\s*kB/m.exec(read(join(proc, "meminfo")))?.[1] ?? 0);
  const machineId = read(join(etc, "machine-id"));
  return {
    ...cpus,
    memoryBytes: memKb * 1024,
    bootId: read(join(proc, "sys", "kernel", "random", "boot_id")),
    machineId,
    // Without DMI (most VMs' and ARM boards' sysfs), cAdvisor too has no uuid; node status falls back to the machine id.
    systemUuid: read(join(sys, "class", "dmi", "id", "product_uuid")),
  };
}

/** Logical CPUs, distinct (socket, core) pairs and distinct sockets; a cpuinfo without topology lines counts each CPU a core of one socket. */
export function parseCpuinfo(text: string): Pick<MachineInfo, "cores" | "physicalCores" | "sockets"> {
  let cores = 0;
  const sockets = new Set<string>();
  const physical = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(block)?.[1]?.trim();
    if (field("processor") === undefined) continue;
    cores++;
    const socket = field("physical id");
    const core = field("core id");
    if (socket !== undefined) sockets.add(socket);
    if (core !== undefined) physical.add(`${socket ?? ""}/${core}`);
  }
  return { cores, physicalCores: physical.size || cores, sockets: sockets.size || (cores ? 1 : 0) };
}

function read(path: string): string {
  try { return readFileSync(path, "utf8").trim(); } catch { return ""; }
}
