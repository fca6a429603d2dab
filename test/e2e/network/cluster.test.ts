/**
 * `skiff cluster create --agents 2` as a user runs it: three real nodes
 * (one server, two agents), each in its own network namespace with its own
 * containerd, joined over the cluster's bridge; kubectl from the host sees
 * them Ready; pods on the two agents reach each other by IP and through a
 * Service by its DNS name; a NodePort answers on every node; `skiff cluster
 * list` shows it; `skiff cluster delete` leaves nothing behind. As root,
 * with the cri runtime.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { eventually, kubectlFor, runningPodIP } from "../../helpers/kubectl.js";
import { skiffCommand as skiff } from "../../helpers/skiff-command.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason();
const NAME = `t${process.pid % 100000}`;

/** What a TCP server at host:port says to a connection that sends nothing. */
function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let said = "";
    const sock = connect(port, host);
    sock.setTimeout(5000, () => { sock.destroy(); reject(new Error(`${host}:${port} said nothing`)); });
    sock.on("data", (d: Buffer) => { said += d.toString(); });
    sock.on("end", () => resolve(said));
    sock.on("error", reject);
  });
}

/** Each node's routes, VXLAN neighbours and forwarding entries, for a failure's message. */
function networkState(): string {
  const out: string[] = [];
  for (const n of ["server", "agent-1", "agent-2"]) {
    const ns = `skiff-${NAME}-${n}`;
    for (const cmd of [["ip", "-n", ns, "route"], ["ip", "-n", ns, "neigh", "show", "dev", "skiff.1"], ["bridge", "-n", ns, "fdb", "show", "dev", "skiff.1"], ["ip", "netns", "exec", ns, "sysctl", "net.ipv4.ip_forward"]]) {
      const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8" });
      out.push(`${cmd.join(" ")}:\n${r.stdout}${r.stderr}`);
    }
  }
  return out.join("\n");
}

describe("skiff cluster", { skip: unavailable ?? false }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-cluster-"));
  let created: { code: number | null; out: string };
  let kubectl: ReturnType<typeof kubectlFor>;
  let state: Json;
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const podIP = (name: string) => runningPodIP(kubectl, name);

  before(async () => {
    created = await skiff(["cluster", "create", "--name", NAME, "--agents", "2", "--data-dir", dataDir]);
    assert.equal(created.code, 0, created.out);
    state = JSON.parse(readFileSync(join(dataDir, NAME, "cluster.json"), "utf8"));
    kubectl = kubectlFor(state.kubeconfig);
  });

  after(async () => {
    // Whatever happened above, the cluster goes; what delete must remove is checked in the last test.
    if (existsSync(join(dataDir, NAME, "cluster.json"))) await skiff(["cluster", "delete", "--name", NAME, "--data-dir", dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("makes three Ready nodes and says how to reach them", async () => {
    assert.match(created.out, new RegExp(`Cluster "${NAME}" is ready in [\\d.]+ s: ${NAME}-server, ${NAME}-agent-1, ${NAME}-agent-2`));
    assert.match(created.out, new RegExp(`export KUBECONFIG=${state.kubeconfig.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const nodes = await kubectl.ok(["get", "nodes"]);
    for (const n of ["server", "agent-1", "agent-2"]) assert.match(nodes, new RegExp(`^${NAME}-${n}\\s+Ready\\s`, "m"));
    const list = await skiff(["cluster", "list", "--data-dir", dataDir]);
    assert.match(list.out, new RegExp(`^NAME\\s+SERVERS\\s+AGENTS\\s+NETWORK\\s+STATUS\\n${NAME}\\s+1\\s+2\\s+172\\.30\\.\\d+\\.0/24\\s+running$`, "m"));
  });

  it("lets pods on the two agents reach each other by IP and by Service name, and a NodePort answer on every node", async () => {
    const onNode = (node: string) => `--overrides=${JSON.stringify({ spec: { nodeName: node } })}`;
    await kubectl.ok(["run", "echo", `--image=${BUSYBOX_IMAGE}`, "--labels=app=echo", onNode(`${NAME}-agent-2`), "--command", "--", "sh", "-c", "while true; do echo across | nc -l -p 9000; done"]);
    await kubectl.ok(["run", "client", `--image=${BUSYBOX_IMAGE}`, onNode(`${NAME}-agent-1`), "--command", "--", "sleep", "3600"]);
    const echoIP = (await podIP("echo"))!;
    await podIP("client");
    const from = async (target: string) => {
      let last = "";
      const r = await eventually(async () => {
        const x = await kubectl.run(["exec", "client", "--", "sh", "-c", `nc -w 3 ${target} 9000 </dev/null`]);
        last = `exit ${x.code}: ${x.stdout}${x.stderr}`;
        return x.code === 0 && x.stdout ? x : undefined;
      }, 60_000, 1000).catch((err: Error) => { throw new Error(`${err.message}: client to ${target}: ${last}\n${networkState()}`); });
      return r!.stdout;
    };
    assert.equal(await from(echoIP), "across\n");
    // The overlay's MTU, as flannel's: the node interface's less VXLAN's 50 bytes, on the vxlan device and the pods' veths alike.
    const mtu = (ns: string, dev: string) => (JSON.parse(spawnSync("ip", ["-n", ns, "-j", "link", "show", dev], { encoding: "utf8" }).stdout) as Json[])[0]!.mtu as number;
    const ns = `skiff-${NAME}-agent-1`;
    assert.equal(mtu(ns, "skiff.1"), mtu(ns, "eth0") - 50);
    assert.equal((await kubectl.ok(["exec", "client", "--", "cat", "/sys/class/net/eth0/mtu"])).trim(), String(mtu(ns, "eth0") - 50));
    await kubectl.ok(["expose", "pod", "echo", "--port=9000", "--type=NodePort", "--name=echo"]);
    assert.equal(await from("echo.default.svc.cluster.local"), "across\n");
    const nodePort = (await json(["get", "service", "echo"])).spec.ports[0].nodePort as number;
    for (const node of state.nodes as Json[]) {
      const said = await eventually(async () => readFrom(node.ip, nodePort).catch(() => undefined), 30_000, 1000);
      assert.equal(said, "across\n", `NodePort on ${node.name}`);
    }
  });

  it("deletes every node, namespace, link and byte of the cluster", async () => {
    const deleted = await skiff(["cluster", "delete", "--name", NAME, "--data-dir", dataDir]);
    assert.equal(deleted.code, 0, deleted.out);
    assert.match(deleted.out, new RegExp(`Deleted cluster "${NAME}"`));
    const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    assert.ok(!netns.includes(`skiff-${NAME}-`), netns);
    assert.equal(spawnSync("ip", ["link", "show", state.bridge]).status, 1, "the bridge is removed");
    assert.ok(!existsSync(join(dataDir, NAME)), "the cluster's data is removed");
    for (const n of state.nodes as Json[]) assert.ok(!existsSync(`/proc/${n.pid}`) || !readFileSync(`/proc/${n.pid}/cmdline`, "utf8").includes(n.dataDir), `${n.name} stopped`);
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    assert.ok(!mounts.includes(join(dataDir, NAME)), "no mount is left");
    assert.match((await skiff(["cluster", "list", "--data-dir", dataDir])).out, /^NAME\s+SERVERS\s+AGENTS\s+NETWORK\s+STATUS\n$/);
  });
});
