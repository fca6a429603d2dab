/**
 * A network namespace's interface counters as cAdvisor reads them: from
 * /proc/<pid>/net/dev of a process in it, leaving out loopback and the host
 * ends of veth pairs (and docker's and nerdctl's bridges), as its
 * ignoredDevicePrefixes do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface InterfaceStats {
  name: string;
  rxBytes: number; rxPackets: number; rxErrors: number; rxDropped: number;
  txBytes: number; txPackets: number; txErrors: number; txDropped: number;
}

const IGNORED = ["lo", "veth", "docker", "nerdctl"];

/** The interfaces of pid's network namespace; undefined when the process is gone or the file is not as expected. */
export function netDevOf(pid: number, procRoot = "/proc"): InterfaceStats[] | undefined {
  let text: string;
  try { text = readFileSync(join(procRoot, String(pid), "net", "dev"), "utf8"); } catch { return undefined; }
  return parseNetDev(text);
}

/** /proc/net/dev: two header lines, then `name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop ...`. */
export function parseNetDev(text: string): InterfaceStats[] | undefined {
  const out: InterfaceStats[] = [];
  for (const line of text.split("\n").slice(2)) {
    if (!line.trim()) continue;
    const fields = line.replace(/:/g, " ").trim().split(/\s+/);
    // A line of another shape makes the whole file untrustworthy, as cAdvisor judges it.
    if (fields.length !== 17) return undefined;
    const name = fields[0]!;
    if (IGNORED.some((p) => name.toLowerCase().startsWith(p))) continue;
    const n = fields.map(Number);
    out.push({ name, rxBytes: n[1]!, rxPackets: n[2]!, rxErrors: n[3]!, rxDropped: n[4]!, txBytes: n[9]!, txPackets: n[10]!, txErrors: n[11]!, txDropped: n[12]! });
  }
  return out;
}
