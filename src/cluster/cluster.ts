/**
 * `skiff cluster create|delete|list`: a multi-node cluster on one machine
 * without Docker, as kind or k3d make one, where every node is a real
 * `skiff server` or `skiff agent` (its own containerd, kubelet, proxy and
 * DNS) in a network namespace of its own, linked to the others by a bridge
 * made for the cluster. The nodes join and reach each other exactly as
 * machines do (join token, --node-ip, the vxlan overlay): the namespaces
 * only stand in for hosts. Nothing gets a default route: the cluster's
 * network reaches the host's bridge address and nothing beyond it.
 *
 * With several servers the control plane is highly available as a user
 * builds one: an etcd member beside each server (Debian's `etcd`, in the
 * server's namespace at its address), the first server on them, the others
 * joining it with its token as k3s' servers join; the agents join through
 * the first and follow the `kubernetes` Endpoints to the others. The user's
 * kubeconfig names a TCP load balancer on loopback over the servers' API
 * ports with health checks (load-balancer.ts), as kind runs haproxy, so that
 * kubectl survives the loss of a server.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Node } from "kubernetes-types/core/v1.js";
import { connect, createServer } from "node:net";
import { Client, Resources, loadKubeconfig } from "../client/index.js";
import { API_PORT, freeOctet, topology, type ClusterNode, type ClusterProcess, type ClusterState, type EtcdMember } from "./topology.js";

export interface CreateOptions {
  name: string;
  agents: number;
  /** 1, or several for a highly available control plane on an etcd cluster (default 1). */
  servers?: number;
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

/** Whether pid is still the process this cluster started (a pid may be reused by anything once it ended): its command line names its data directory. */
export function isOurProcess(p: ClusterProcess): boolean {
  if (!p.pid) return false;
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").includes(p.dataDir);
  } catch {
    return false;
  }
}

/** A process of the cluster, detached (it outlives `skiff cluster create`), its output in its log; in a namespace when given one. */
function startProcess(p: ClusterProcess, what: string, netns: string | undefined, command: string[]): ChildProcess {
  mkdirSync(p.dataDir, { recursive: true });
  const out = openSync(p.log, "a");
  try {
    // nsenter --net only: the node keeps the host's mount and cgroup views, as `ip netns exec` would not.
    const [file, ...args] = netns ? ["nsenter", `--net=/run/netns/${netns}`, ...command] : command;
    const child = spawn(file!, args, { detached: true, stdio: ["ignore", out, out] });
    child.unref();
    if (!child.pid) throw new Error(`could not start ${what}`);
    p.pid = child.pid;
    return child;
  } finally {
    closeSync(out);
  }
}

/** The node's `skiff server` or `skiff agent`, in its namespace. */
function startNode(node: ClusterNode, skiff: string, args: string[]): ChildProcess {
  return startProcess(node, node.name, node.netns, [process.execPath, skiff, node.role, "--data-dir", node.dataDir, ...args]);
}

/** A server's etcd member, in the server's namespace at its address, one of the cluster's initial members. */
function startEtcd(server: ClusterNode, member: EtcdMember, all: EtcdMember[], clusterName: string): ChildProcess {
  return startProcess(member, `etcd ${member.name}`, server.netns, [
    "etcd", "--name", member.name, "--data-dir", member.dataDir,
    "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
    "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
    "--initial-cluster", all.map((m) => `${m.name}=${m.peerURL}`).join(","),
    "--initial-cluster-state", "new", "--initial-cluster-token", `skiff-${clusterName}`,
  ]);
}

/** A TCP port on loopback that nothing listens on now. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections at 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
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
  const servers = o.servers ?? 1;
  const state: ClusterState = { ...topology(o.name, octet, o.agents, dataDir, servers), kubeconfig: o.kubeconfig ?? join(dataDir, "kubeconfig.yaml"), createdAt: new Date().toISOString() };
  writeState(state);
  // While create runs, a process has exited when its child process says so: /proc's command line is the
  // parent's until nsenter has exec'd, so it cannot tell a process that has not started yet from one gone.
  const children = new Map<ClusterProcess, ChildProcess>();
  const exited = (p: ClusterProcess) => { const c = children.get(p); return !c || c.exitCode !== null || c.signalCode !== null; };
  const timeoutMs = o.timeoutMs ?? 180_000;
  try {
    o.say(`Creating cluster "${o.name}": network ${state.subnet} on bridge ${state.bridge}, ${state.nodes.length} nodes`);
    createNetwork(state);
    const serverNodes = state.nodes.filter((n) => n.role === "server") as [ClusterNode, ...ClusterNode[]];
    const agents = state.nodes.filter((n) => n.role === "agent");
    const [first, ...joining] = serverNodes;
    const members = serverNodes.flatMap((n) => (n.etcd ? [n.etcd] : []));
    const nodeArgs = (n: ClusterNode) => ["--node-name", n.name, "--node-ip", n.ip, "--runtime", o.runtime, "--network-backend", o.networkBackend];
    const serverArgs = (n: ClusterNode) => ["--bind-address", n.ip, "--port", String(API_PORT), ...nodeArgs(n),
      ...(members.length ? ["--datastore-endpoint", members.map((m) => m.clientURL).join(",")] : [])];
    const firstURL = `https://${first.ip}:${API_PORT}`;
    if (members.length) {
      for (const n of serverNodes) children.set(n.etcd!, startEtcd(n, n.etcd!, members, o.name));
      writeState(state);
      o.say(`Starting etcd: ${members.map((m) => m.clientURL).join(", ")}`);
      await waitFor("etcd to be healthy", timeoutMs, async () => {
        const healthy = await Promise.all(members.map((m) => fetch(`${m.clientURL}/health`, { signal: AbortSignal.timeout(2000) })
          .then(async (r) => r.ok && ((await r.json()) as { health?: string }).health === "true").catch(() => false)));
        return healthy.every(Boolean) ? true : undefined;
      }, () => members.map((m) => (exited(m) ? `etcd ${m.name} exited:\n${tail(m.log)}` : undefined)).find(Boolean));
    }
    children.set(first, startNode(first, o.skiff, serverArgs(first)));
    writeState(state);
    o.say(`Starting the server ${first.name} at ${firstURL} (log: ${first.log})`);
    const token = await waitFor("the server's join token", timeoutMs, () => {
      const file = join(first.dataDir, NODE_TOKEN);
      return existsSync(file) ? readFileSync(file, "utf8").trim() || undefined : undefined;
    }, () => (exited(first) ? `the server exited:\n${tail(first.log)}` : undefined));
    for (const n of joining) {
      children.set(n, startNode(n, o.skiff, ["--server", firstURL, "--token", token, ...serverArgs(n)]));
      o.say(`Starting the server ${n.name} at https://${n.ip}:${API_PORT}, joining ${first.name} (log: ${n.log})`);
    }
    for (const a of agents) {
      children.set(a, startNode(a, o.skiff, ["--server", firstURL, "--token", token, ...nodeArgs(a)]));
      o.say(`Starting the agent ${a.name} at ${a.ip} (log: ${a.log})`);
    }
    writeState(state);
    const serverKubeconfig = readFileSync(join(first.dataDir, "kubeconfig.yaml"), "utf8");
    if (joining.length) {
      const port = await freeLoopbackPort();
      // Its command line names the cluster's directory, which tells it from a reused pid.
      state.loadBalancer = { port, dataDir, log: join(dataDir, "load-balancer.log") };
      writeState(state);
      children.set(state.loadBalancer, startProcess(state.loadBalancer, "the load balancer", undefined, [process.execPath, o.skiff, "cluster", "load-balancer", dataDir]));
      writeState(state);
      await waitFor("the load balancer", timeoutMs, async () => ((await listening(port)) ? true : undefined),
        () => (exited(state.loadBalancer!) ? `the load balancer exited:\n${tail(state.loadBalancer!.log)}` : undefined));
      o.say(`Load balancer for the API servers at https://127.0.0.1:${port} (log: ${state.loadBalancer.log})`);
      writeFileSync(state.kubeconfig, serverKubeconfig.replaceAll(firstURL, `https://127.0.0.1:${port}`), { mode: 0o600 });
    } else if (state.kubeconfig !== join(first.dataDir, "kubeconfig.yaml")) {
      writeFileSync(state.kubeconfig, serverKubeconfig, { mode: 0o600 });
    }
    const client = new Client(loadKubeconfig(state.kubeconfig));
    let said = -1;
    await waitFor("every node to be Ready", timeoutMs, async () => {
      const listed = await client.list(Resources.nodes).catch(() => undefined);
      const ready = ((listed?.items ?? []) as Node[]).filter((n) => state.nodes.some((s) => s.name === n.metadata?.name)
        && n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
      if (ready !== said) { o.say(`Nodes Ready: ${ready}/${state.nodes.length}`); said = ready; }
      return ready === state.nodes.length ? true : undefined;
    }, () => clusterProcesses(state).map(({ what, process: p }) => (exited(p) ? `${what} exited:\n${tail(p.log)}` : undefined)).find(Boolean));
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

/** Ends a process of the cluster by its pid (SIGTERM, then SIGKILL after 30 s), if it is still the one the cluster started. */
async function stopProcess(p: ClusterProcess): Promise<void> {
  if (!isOurProcess(p)) return;
  process.kill(p.pid!, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (isOurProcess(p) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (isOurProcess(p)) process.kill(p.pid!, "SIGKILL");
  while (isOurProcess(p)) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Every process of the cluster, named: nodes, etcd members, the load balancer. */
export function clusterProcesses(state: ClusterState): { what: string; process: ClusterProcess }[] {
  return [
    ...state.nodes.map((n) => ({ what: n.name, process: n as ClusterProcess })),
    ...state.nodes.flatMap((n) => (n.etcd ? [{ what: `etcd ${n.etcd.name}`, process: n.etcd as ClusterProcess }] : [])),
    ...(state.loadBalancer ? [{ what: "the load balancer", process: state.loadBalancer as ClusterProcess }] : []),
  ];
}

/** Stops every process, removes what each node left on the machine (skiff killall in its namespace), the namespaces, the bridge, etcd's data and the state. */
export async function deleteCluster(state: ClusterState, skiff: string, say: (line: string) => void): Promise<void> {
  // The agents together, then the servers, then what the servers stand on, so that nothing outlives what it reports to.
  const stop = (items: { what: string; process: ClusterProcess }[]) => Promise.all(items.map(({ what, process: p }) => {
    if (isOurProcess(p)) say(`Stopping ${what}`);
    return stopProcess(p);
  }));
  const all = clusterProcesses(state);
  const nodeOf = (role: string) => all.filter((x) => state.nodes.some((n) => n === x.process && n.role === role));
  await stop(nodeOf("agent"));
  await stop(nodeOf("server"));
  await stop(all.filter((x) => !state.nodes.includes(x.process as ClusterNode)));
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

/** Whether each of the cluster's processes runs: what `skiff cluster list` shows. */
export function clusterStatus(state: ClusterState): string {
  const all = clusterProcesses(state);
  const up = all.filter((x) => isOurProcess(x.process)).length;
  return up === all.length ? "running" : up === 0 ? "stopped" : `degraded (${up}/${all.length} processes running)`;
}
