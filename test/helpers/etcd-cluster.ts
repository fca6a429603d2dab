/**
 * A etcd cluster of several members from Debian's `etcd` (etcd-server) on
 * loopback, each on free ports with its data in a temporary directory, for
 * tests of a highly available control plane. Members are ended by their pid;
 * `await using` ends them all and removes the data.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./kubectl.js";
import { freePort } from "./net.js";
import { killOnProcessEnd } from "./process-end.js";

export interface EtcdMember {
  name: string;
  clientUrl: string;
  process: ChildProcess;
  /** What the member logged (etcd logs to stderr). */
  log(): string;
  /** SIGKILL, as a machine that dies; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface EtcdCluster extends AsyncDisposable {
  members: EtcdMember[];
  /** Every member's client URL, comma-separated, as --datastore-endpoint takes them. */
  endpoints: string;
  /** The pids of every process started, for a test to check none is left. */
  pids: number[];
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-etcd-cluster-"));
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), peer: await freePort() })));
  const names = ports.map((_, i) => `m${i}`);
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(",");
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]!.client}`;
    const peerUrl = `http://127.0.0.1:${ports[i]!.peer}`;
    const child = killOnProcessEnd(spawn("etcd", [
      "--name", name, "--data-dir", join(dir, name),
      "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
      "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", `skiff-test-${process.pid}`,
      // Quicker elections on loopback (defaults 100 ms / 1000 ms), so a lost leader is replaced fast.
      "--heartbeat-interval", "50", "--election-timeout", "500",
    ], { stdio: ["ignore", "ignore", "pipe"] }));
    let log = "";
    child.stderr!.on("data", (d: Buffer) => { log = (log + d.toString()).slice(-20_000); });
    const gone = new Promise<void>((resolve) => { if (exited(child)) resolve(); else child.once("exit", () => resolve()); });
    return {
      name, clientUrl, process: child, log: () => log,
      async kill() { if (!exited(child)) child.kill("SIGKILL"); await gone; },
    };
  });
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl).join(","),
    pids: members.map((m) => m.process.pid!),
    async [Symbol.asyncDispose]() {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // Healthy: each member answers /health with a leader elected among them.
    await eventually(async () => {
      for (const m of members) {
        if (exited(m.process)) throw new Error(`etcd member ${m.name} exited:\n${m.log()}`);
        const r = await fetch(`${m.clientUrl}/health`);
        if (!r.ok || (await r.json() as { health?: string }).health !== "true") return false;
      }
      return true;
    }, 30_000, 200);
  } catch (err) {
    await cluster[Symbol.asyncDispose]();
    throw err;
  }
  return cluster;
}

/** Whether a process is still there (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
