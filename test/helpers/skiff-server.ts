/**
 * Starts the built `skiff server` on a temporary data directory and a free
 * port, for tests that drive it as a user would. `await using` stops it.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onProcessEnd } from "./process-end.js";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/** How long a stopped server may take to exit: its own shutdown gives idle sockets 2 s (exitWhenIdleOrSoon). */
const STOP_TIMEOUT_MS = 30_000;

export interface RunningServer extends AsyncDisposable {
  url: string;
  kubeconfig: string;
  dataDir: string;
  process: ChildProcess;
  /** Stops the server the hard way (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM and waits for a clean exit. */
  stop(): Promise<number | null>;
  /** What the server wrote to stderr so far (Node's process warnings among it). */
  stderr(): string;
}

export interface ServerOptions {
  dataDir?: string;
  datastoreEndpoint?: string;
  keepDataDir?: boolean;
  simNodes?: number;
  /** The local node's runtime; tests of the control plane run without one (default "none"). */
  runtime?: "none" | "cri" | "process";
  args?: string[];
}

/** Data directories of real nodes not yet cleaned up by removeNode, each with its unregister function. */
const nodesToClean = new Map<string, () => void>();

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "skiff-test-"));
  const args = [join(repoRoot, "bin/skiff.js"), "server", "--data-dir", dataDir, "--port", "0", "--runtime", options.runtime ?? "none"];
  if (options.datastoreEndpoint) args.push("--datastore-endpoint", options.datastoreEndpoint);
  if (options.simNodes) args.push("--sim-nodes", String(options.simNodes));
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // A test or benchmark that dies, or is ended for running too long, must not leave its server
  // behind, nor (for a real node) its pods, mounts, bridge and rules.
  const bridgeArg = args.indexOf("--pod-bridge");
  const bridge = bridgeArg >= 0 ? args[bridgeArg + 1]! : "skiff0";
  const unregister = onProcessEnd(() => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); });
  void exited.then(unregister);
  if (options.runtime === "cri" && !nodesToClean.has(dataDir)) nodesToClean.set(dataDir, onProcessEnd(() => killall(dataDir, bridge)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`skiff server did not start in 30s:\n${stderr}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`skiff server exited with ${code}:\n${stderr}`)); });
  });
  let stopped = false;
  const server: RunningServer = {
    url, dataDir, kubeconfig: join(dataDir, "kubeconfig.yaml"), process: child,
    stderr: () => stderr,
    async kill() {
      if (stopped) return;
      stopped = true;
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (stopped) return exited;
      stopped = true;
      child.kill("SIGTERM");
      // A server that does not finish its shutdown is a failure of the test that stopped it, with what
      // it last wrote, rather than a file that hangs until the runner ends it (and the tests after it).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => { timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS); });
      const outcome = await Promise.race([exited, late]);
      clearTimeout(timer);
      // The server's own watchdog ended a shutdown that hung: as much a failure as one that never ends.
      const hung = /.*"shutdown did not finish".*/.exec(stderr);
      if (hung) throw new Error(`skiff server's shutdown hung: ${hung[0]}`);
      if (outcome !== "late") return outcome;
      child.kill("SIGKILL");
      await exited;
      throw new Error(`skiff server did not exit within ${STOP_TIMEOUT_MS / 1000}s of SIGTERM; its stderr ends:\n${stderr.slice(-4000)}`);
    },
    async [Symbol.asyncDispose]() {
      try {
        await server.stop();
      } finally {
        if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  return server;
}

/**
 * `skiff killall` for a test's node: its pods, mounts, bridge and rules go; the server must be stopped first.
 * A node in a network namespace is cleaned up in it.
 */
export function killall(dataDir: string, bridge: string, netns?: string): void {
  const command = [process.execPath, join(repoRoot, "bin/skiff.js"), "killall", "--data-dir", dataDir, "--pod-bridge", bridge];
  const [file, ...argv] = netns ? ["nsenter", `--net=/run/netns/${netns}`, ...command] : command;
  execFileSync(file!, argv, { stdio: "ignore" });
}

/** The end of a suite with a real node: the server stopped, its node cleaned up, its data directory removed. */
export async function removeNode(server: RunningServer | undefined, dataDir: string, bridge: string): Promise<void> {
  await server?.stop();
  killall(dataDir, bridge);
  nodesToClean.get(dataDir)?.();
  nodesToClean.delete(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
}
