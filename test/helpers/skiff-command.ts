/** One `skiff` command run to its end, as a user types it. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./skiff-server.js";

/** skiff with these arguments, to its end: exit code and everything it printed (stdout and stderr together). */
export function skiffCommand(args: string[], timeoutMs = 240_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "skiff.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.once("exit", (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}
