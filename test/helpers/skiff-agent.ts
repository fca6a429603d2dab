/** Runs the built `skiff agent` with the given flags, collecting its output; it never outlives the test. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { killOnProcessEnd, onProcessEnd } from "./process-end.js";
import { killall, repoRoot } from "./skiff-server.js";

export interface RunningAgent { child: ChildProcess; output: () => string; exited: Promise<number | null> }

/**
 * With `netns`, the agent runs in that network namespace as on a machine of its own. nsenter enters
 * only the network namespace (`ip netns exec` would also remount /sys, hiding the cgroups containerd needs).
 */
export function runAgent(args: string[], options: { netns?: string } = {}): RunningAgent {
  const command = [process.execPath, join(repoRoot, "bin/skiff.js"), "agent", ...args];
  const [file, ...argv] = options.netns ? ["nsenter", `--net=/run/netns/${options.netns}`, ...command] : command;
  const child = killOnProcessEnd(spawn(file!, argv, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // A real node's pods, mounts, bridge and rules go too, if the test is ended before its own cleanup.
  const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const dataDir = flag("--data-dir");
  if (flag("--runtime") === "cri" && dataDir) onProcessEnd(() => killall(dataDir, flag("--pod-bridge") ?? "skiff0", options.netns));
  return { child, output: () => output, exited };
}
