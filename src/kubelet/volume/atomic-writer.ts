/**
 * Writes a set of files into a volume directory so that a reader never sees
 * a half-updated set, as upstream's AtomicWriter does: the files go into a
 * fresh `..<timestamp>` directory, the `..data` link is swapped to it with a
 * rename, and each visible name is a link through `..data`. A container that
 * mounted the directory sees the change in place.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** A file of the volume: its bytes, its mode (set exactly, whatever the umask) and, when given, its owner. */
export interface FileProjection { data: Buffer; mode: number; uid?: number; gid?: number }
export interface Payload { [path: string]: FileProjection }

const DATA = "..data";

export function writeAtomic(dir: string, payload: Payload): boolean {
  mkdirSync(dir, { recursive: true });
  const current = join(dir, DATA);
  const previous = existsSync(current) ? readlinkSync(current) : undefined;
  if (previous && sameContents(join(dir, previous), payload)) return false;
  // Upstream's name for a payload directory: `..2006_01_02_15_04_05.` and a random suffix.
  const stamp = `..${new Date().toISOString().slice(0, 19).replace(/[-T:]/g, "_")}.${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}`;
  const target = join(dir, stamp);
  for (const [path, file] of Object.entries(payload)) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    const full = join(target, path);
    writeFileSync(full, file.data, { mode: file.mode });
    chmodSync(full, file.mode);
    if (file.uid !== undefined || file.gid !== undefined) chownSync(full, file.uid ?? -1, file.gid ?? -1);
  }
  mkdirSync(target, { recursive: true });
  const tmp = join(dir, "..data_tmp");
  rmSync(tmp, { force: true });
  symlinkSync(stamp, tmp);
  renameSync(tmp, current);
  const top = new Set(Object.keys(payload).map((p) => p.split("/")[0]!));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link) && !isLink(link)) symlinkSync(join(DATA, name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..")) {
      if (name !== DATA && name !== stamp) rmSync(join(dir, name), { recursive: true, force: true });
    } else if (!top.has(name) && isLink(join(dir, name))) {
      rmSync(join(dir, name), { force: true });
    }
  }
  return true;
}

function isLink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink(); } catch { return false; }
}

function sameContents(dir: string, payload: Payload): boolean {
  try {
    const names = listFiles(dir);
    if (names.length !== Object.keys(payload).length) return false;
    for (const [path, file] of Object.entries(payload)) {
      const full = join(dir, path);
      const st = lstatSync(full);
      if ((st.mode & 0o7777) !== file.mode) return false;
      if ((file.uid !== undefined && st.uid !== file.uid) || (file.gid !== undefined && st.gid !== file.gid)) return false;
      if (!file.data.equals(readFileSync(full))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), prefix + e.name + "/"));
    else out.push(prefix + e.name);
  }
  return out;
}
