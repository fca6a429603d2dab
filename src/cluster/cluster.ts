/**
 * `skiff cluster create|delete|list`: a multi-node cluster on one machine
 * without Docker, as kind or k3d make one, where every node is a real
 * `skiff server` or `skiff agent` (its own containerd, kubelet, proxy and
 * DNS) in a network namespace of its own, linked to the others by a bridge
 * made for the cluster. The nodes join and reach each other exactly as
 * machines do (join token, --node-ip, the vxlan overlay): the namespaces
 * only stand in for hosts. Nothing gets a default route: the cluster's
 * network reaches the host's bridge address and nothing beyond it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Node } from "kubernetes-types/core/v1.js";
import { Client, Resources, loadKubeconfig } from "../client/index.js";
import { freeOctet, topology, type ClusterNode, type ClusterState } from "./topology.js";

export interface CreateOptions {
  name: string;
  agents: number;
  /** Where every cluster's state lives: <baseDir>/<name>. */
  baseDir: string;
  /** Where to write the kubeconfig (default <baseDir>/<name>/kubeconfig.yaml). */
  kubeconfig?: string;
  runtime: string;
  networkBackend: string;
  /** The skiff entry point the nodes run (this process's own). */
  skiff: string;
  say: (line: string) => void;
  /** How long to wait for every node to be Ready. */
  timeoutMs?: number;
}

const STATE_FILE = "cluster.json";
const NODE_TOKEN = "node-token";
const API_PORT = 6443;

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
}

const quietly = (args: string[]) => spawnSync("ip", args, { encoding: "utf8" });

/** A command run to its end without blocking the others: its exit code and error output. */
function run(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.once("error", (err) => resolve({ code: -1, stderr: err.message }));
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

export function readState(dir: string): ClusterState | undefined {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as ClusterState;
}

function writeState(state: ClusterState): void {
  writeFileSync(join(state.dataDir, STATE_FILE), JSON.stringify(state, null, 2) + "\n");
}

export function listStates(baseDir: string): ClusterState[] {
  if (!existsSync(baseDir)) return [];
  return readdirSync(baseDir).flatMap((name) => {
    const s = readState(join(baseDir, name));
    return s ? [s] : [];
  });
}

/** Whether pid is still the node process this cluster started (a pid may be reused by anything once it ended). */
export function isOurProcess(node: ClusterNode): boolean {
  if (!node.pid) return false;
  try {
    return readFileSync(`/proc/${node.pid}/cmdline`, "utf8").split("\0").includes(node.dataDir);
  } catch {
    return false;
  }
}

/** The node's `skiff server` or `skiff agent`, in its namespace, detached, its output in its log. */
function startNode(node: ClusterNode, skiff: string, args: string[]): ChildProcess {
  mkdirSync(node.dataDir, { recursive: true });
  const out = openSync(node.log, "a");
  try {
    // nsenter --net only: the node keeps the host's mount and cgroup views, as `ip netns exec` would not.
    const child = spawn("nsenter", [`--net=/run/netns/${node.netns}`, process.execPath, skiff, node.role, "--data-dir", node.dataDir, ...args], {
      detached: true, stdio: ["ignore", out, out],
    });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${node.name}`);
    node.pid = child.pid;
    return child;
  } finally {
    closeSync(out);
  }
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, failed?: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const why = failed?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-15).join("\n") : "");

function addressesOnHost(): string[] {
  const r = spawnSync("ip", ["-o", "-4", "addr", "show"], { encoding: "utf8" });
  return [...(r.stdout ?? "").matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
}

/** The cluster's network: the bridge on the host, and each node's namespace with a veth on it. */
function createNetwork(state: ClusterState): void {
  ip(["link", "add", state.bridge, "type", "bridge"]);
  ip(["addr", "add", `${state.gateway}/24`, "dev", state.bridge]);
  ip(["link", "set", state.bridge, "up"]);
  for (const n of state.nodes) {
    ip(["netns", "add", n.netns]);
    ip(["link", "add", n.hostLink, "type", "veth", "peer", "name", "eth0", "netns", n.netns]);
    ip(["link", "set", n.hostLink, "master", state.bridge, "up"]);
    ip(["-n", n.netns, "link", "set", "lo", "up"]);
    ip(["-n", n.netns, "addr", "add", `${n.ip}/24`, "dev", "eth0"]);
    ip(["-n", n.netns, "link", "set", "eth0", "up"]);
  }
}

export async function createCluster(o: CreateOptions): Promise<ClusterState> {
  const dataDir = join(o.baseDir, o.name);
  if (readState(dataDir)) throw new Error(`cluster ${JSON.stringify(o.name)} already exists (skiff cluster delete --name ${o.name})`);
  const taken = new Set(listStates(o.baseDir).map((s) => Number(s.subnet.split(".")[2])));
  const octet = freeOctet(addressesOnHost(), taken);
  if (octet === undefined) throw new Error("no free /24 in 172.30.0.0/16 for the cluster's network");
  mkdirSync(dataDir, { recursive: true });
  const state: ClusterState = { ...topology(o.name, octet, o.agents, dataDir), kubeconfig: o.kubeconfig ?? join(dataDir, "kubeconfig.yaml"), createdAt: new Date().toISOString() };
  writeState(state);
  // While create runs, a node has exited when its child process says so: /proc's command line is the
  // parent's until nsenter has exec'd, so it cannot tell a node that has not started yet from one gone.
  const children = new Map<string, ChildProcess>();
  const exited = (n: ClusterNode) => { const c = children.get(n.name); return !c || c.exitCode !== null || c.signalCode !== null; };
  try {
    o.say(`Creating cluster "${o.name}": network ${state.subnet} on bridge ${state.bridge}, ${state.nodes.length} nodes`);
    createNetwork(state);
    const [server, ...agents] = state.nodes as [ClusterNode, ...ClusterNode[]];
    const nodeArgs = (n: ClusterNode) => ["--node-name", n.name, "--node-ip", n.ip, "--runtime", o.runtime, "--network-backend", o.networkBackend];
    children.set(server.name, startNode(server, o.skiff, ["--bind-address", server.ip, "--port", String(API_PORT), ...nodeArgs(server)]));
    writeState(state);
    o.say(`Starting the server ${server.name} at https://${server.ip}:${API_PORT} (log: ${server.log})`);
    const serverGone = () => (exited(server) ? `the server exited:\n${tail(server.log)}` : undefined);
    const token = await waitFor("the server's join token", o.timeoutMs ?? 180_000, () => {
      const file = join(server.dataDir, NODE_TOKEN);
      return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
    }, serverGone);
    for (const a of agents) {
      children.set(a.name, startNode(a, o.skiff, ["--server", `https://${server.ip}:${API_PORT}`, "--token", token, ...nodeArgs(a)]));
      o.say(`Starting the agent ${a.name} at ${a.ip} (log: ${a.log})`);
    }
    writeState(state);
    const client = new Client(loadKubeconfig(join(server.dataDir, "kubeconfig.yaml")));
    let said = -1;
    await waitFor("every node to be Ready", o.timeoutMs ?? 180_000, async () => {
      const listed = await client.list(Resources.nodes).catch(() => undefined);
      const ready = ((listed?.items ?? []) as Node[]).filter((n) => state.nodes.some((s) => s.name === n.metadata?.name)
        && n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
      if (ready !== said) { o.say(`Nodes Ready: ${ready}/${state.nodes.length}`); said = ready; }
      return ready === state.nodes.length ? true : undefined;
    }, () => state.nodes.map((n) => (exited(n) ? `${n.name} exited:\n${tail(n.log)}` : undefined)).find(Boolean));
    if (state.kubeconfig !== join(server.dataDir, "kubeconfig.yaml")) copyFileSync(join(server.dataDir, "kubeconfig.yaml"), state.kubeconfig);
    return state;
  } catch (err) {
    o.say(`Creating cluster "${o.name}" failed; removing what was made`);
    // The nodes started here are ended through their child processes, whatever they have exec'd yet.
    await Promise.all([...children.values()].map((c) => endChild(c)));
    await deleteCluster(state, o.skiff, () => {});
    throw err;
  }
}

/** Ends a child this process started (SIGTERM, then SIGKILL after 30 s). */
async function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await gone;
  clearTimeout(timer);
}

/** Ends a node's process by its pid (SIGTERM, then SIGKILL after 30 s), if it is still the one the cluster started. */
async function stopNode(node: ClusterNode): Promise<void> {
  if (!isOurProcess(node)) return;
  process.kill(node.pid!, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (isOurProcess(node) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (isOurProcess(node)) process.kill(node.pid!, "SIGKILL");
  while (isOurProcess(node)) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Stops every node, removes what each left on the machine (skiff killall in its namespace), the namespaces, the bridge and the state. */
export async function deleteCluster(state: ClusterState, skiff: string, say: (line: string) => void): Promise<void> {
  // The agents together, then the server, so that no agent outlives the API it reports to.
  const stop = (nodes: ClusterNode[]) => Promise.all(nodes.map((n) => { if (isOurProcess(n)) say(`Stopping ${n.name}`); return stopNode(n); }));
  await stop(state.nodes.filter((n) => n.role === "agent"));
  await stop(state.nodes.filter((n) => n.role === "server"));
  await Promise.all(state.nodes.map(async (n) => {
    if (!existsSync(`/run/netns/${n.netns}`)) return;
    if (existsSync(n.dataDir)) {
      const r = await run("nsenter", [`--net=/run/netns/${n.netns}`, process.execPath, skiff, "killall", "--data-dir", n.dataDir]);
      if (r.code !== 0) say(`skiff killall for ${n.name} failed: ${r.stderr.trim().split("\n").pop()}`);
    }
    // The veth's host end goes with its peer.
    quietly(["netns", "del", n.netns]);
  }));
  for (const n of state.nodes) quietly(["link", "del", n.hostLink]);
  quietly(["link", "del", state.bridge]);
  rmSync(state.dataDir, { recursive: true, force: true });
  say(`Deleted cluster "${state.name}"`);
}

/** Whether each node's process runs: what `skiff cluster list` shows. */
export function clusterStatus(state: ClusterState): string {
  const up = state.nodes.filter(isOurProcess).length;
  return up === state.nodes.length ? "running" : up === 0 ? "stopped" : `degraded (${up}/${state.nodes.length} nodes running)`;
}
