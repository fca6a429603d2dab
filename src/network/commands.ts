/**
 * How the overlay changes kernel state: iproute2's `ip` and `bridge`
 * commands (DESIGN: no netlink library, the tools Debian ships). A Runner
 * may prefix them, e.g. with `ip netns exec NS` for a node that lives in a
 * network namespace.
 */
import { spawnSync } from "node:child_process";

export interface CommandResult { ok: boolean; out: string; err: string }
export type Runner = (command: "ip" | "bridge", args: string[]) => CommandResult;

export const runOnHost: Runner = (command, args) => {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return { ok: r.status === 0, out: r.stdout ?? "", err: (r.stderr ?? "").trim() || (r.error?.message ?? "") };
};

/** A runner for the named network namespace (`ip netns exec`). */
export function runInNamespace(namespace: string): Runner {
  return (command, args) => runOnHost("ip", ["netns", "exec", namespace, command, ...args]);
}

/** Runs a command that must succeed, with its words in the error. */
export function must(run: Runner, command: "ip" | "bridge", args: string[]): string {
  const r = run(command, args);
  if (!r.ok) throw new Error(`${command} ${args.join(" ")}: ${r.err}`);
  return r.out;
}
