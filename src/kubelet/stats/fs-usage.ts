/**
 * A filesystem's size and free inodes, and the device cAdvisor names it by:
 * the source of the mount that holds the path (`/dev/vda1`), found in
 * /proc/self/mountinfo as the longest mount point above it.
 */
import { readFileSync, statfsSync } from "node:fs";
import { resolve } from "node:path";

export interface Filesystem {
  device: string;
  capacityBytes: number;
  /** Bytes in use on the whole filesystem (what cAdvisor reports for the root cgroup). */
  usedBytes: number;
  inodesTotal: number;
  inodesFree: number;
}

/** The filesystem holding path; undefined when it cannot be stat'ed (the path is gone). */
export function filesystemOf(path: string, mountinfo = "/proc/self/mountinfo"): Filesystem | undefined {
  let s;
  try { s = statfsSync(path); } catch { return undefined; }
  let text = "";
  try { text = readFileSync(mountinfo, "utf8"); } catch { /* no device name */ }
  return {
    device: mountSource(text, path) ?? "",
    capacityBytes: s.blocks * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    inodesTotal: s.files,
    inodesFree: s.ffree,
  };
}

/** mountinfo: `id parent major:minor root mountpoint options ... - fstype source superoptions`; the deepest mount point at or above path wins. */
export function mountSource(mountinfo: string, path: string): string | undefined {
  const target = resolve(path);
  let best: { point: string; source: string } | undefined;
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    const point = left?.split(" ")[4]?.replace(/\\040/g, " ");
    const source = right?.split(" ")[1];
    if (!point || source === undefined) continue;
    const under = point === "/" || target === point || target.startsWith(point + "/");
    // A later mount on the same point hides the earlier one.
    if (under && (!best || point.length >= best.point.length)) best = { point, source };
  }
  return best?.source;
}
