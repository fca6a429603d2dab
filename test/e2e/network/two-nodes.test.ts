/**
 * Two real nodes whose pods reach each other: `skiff server` with its node
 * here, and `skiff agent` with its own containerd in a network namespace
 * that stands for a second machine (a veth pair is the only link between
 * them, and each node has a pod bridge of its own). With the default vxlan
 * backend over `--node-ip`, a pod on one node reaches a pod on the other by
 * its IP and through a Service by its DNS name, and the API server reaches
 * the agent's kubelet (logs, exec) over the same overlay. As root, with the
 * cri runtime; everything made here is removed at the end and checked.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { eventually, kubectlFor, runningPodIP } from "../../helpers/kubectl.js";
import { killall, removeNode, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { runAgent, type RunningAgent } from "../../helpers/skiff-agent.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason();
const tag = `sktn${process.pid % 100000}`;
const NETNS = `${tag}-b`;
const HOST_LINK = `${tag}a`;
const SERVER_IP = "10.251.0.1";
const AGENT_IP = "10.251.0.2";
const BRIDGE = "skiff-net0";

function must(args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("pods on two nodes", { skip: unavailable ?? false }, () => {
  let server: RunningServer | undefined;
  let agent: RunningAgent | undefined;
  let kubectl: ReturnType<typeof kubectlFor>;
  const serverDir = mkdtempSync(join(tmpdir(), "skiff-test-"));
  const agentDir = mkdtempSync(join(tmpdir(), "skiff-agent-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const podIP = (name: string) => runningPodIP(kubectl, name);

  before(async () => {
    must(["ip", "netns", "add", NETNS]);
    must(["ip", "link", "add", HOST_LINK, "type", "veth", "peer", "name", "eth1", "netns", NETNS]);
    must(["ip", "addr", "add", `${SERVER_IP}/24`, "dev", HOST_LINK]);
    must(["ip", "link", "set", HOST_LINK, "up"]);
    must(["ip", "-n", NETNS, "link", "set", "lo", "up"]);
    must(["ip", "-n", NETNS, "addr", "add", `${AGENT_IP}/24`, "dev", "eth1"]);
    must(["ip", "-n", NETNS, "link", "set", "eth1", "up"]);
    server = await startServer({
      dataDir: serverDir, runtime: "cri",
      args: ["--bind-address", SERVER_IP, "--node-ip", SERVER_IP, "--node-name", "net-a", "--kubelet-port", "0", "--pod-bridge", BRIDGE, "--disable-ingress"],
    });
    kubectl = kubectlFor(server.kubeconfig);
    const token = readFileSync(join(serverDir, "node-token"), "utf8").trim();
    agent = runAgent(["--server", server.url, "--token", token, "--data-dir", agentDir, "--runtime", "cri", "--node-name", "net-b",
      "--kubelet-port", "0", "--node-ip", AGENT_IP], { netns: NETNS });
    await eventually(async () => {
      const nodes = await kubectl.ok(["get", "nodes"]);
      return /^net-a\s+Ready\s/m.test(nodes) && /^net-b\s+Ready\s/m.test(nodes);
    }, 120_000, 500).catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output().slice(-4000)}`); });
  });

  after(async () => {
    if (agent) { agent.child.kill("SIGTERM"); await agent.exited; }
    killall(agentDir, "skiff0", NETNS);
    await removeNode(server, serverDir, BRIDGE);
    spawnSync("ip", ["netns", "del", NETNS]);
    spawnSync("ip", ["link", "del", HOST_LINK]);
    rmSync(agentDir, { recursive: true, force: true });
    assert.equal(spawnSync("ip", ["link", "show", "skiff.1"]).status, 1, "the VXLAN device is removed");
    assert.equal(must(["ip", "route", "show", "root", "10.244.0.0/16"]).trim(), "", "no route into the cluster CIDR is left");
    assert.ok(!must(["ip", "netns", "list"]).includes(NETNS), "the namespace is removed");
  });

  it("publishes each node's backend, address and VTEP on its Node", async () => {
    for (const [node, ip] of [["net-a", SERVER_IP], ["net-b", AGENT_IP]] as const) {
      const annotations = await eventually(async () => {
        const a = (await json(["get", "node", node])).metadata.annotations ?? {};
        return a["skiff.dev/network-vtep-mac"] ? a : undefined;
      }, 30_000, 500);
      assert.equal(annotations["skiff.dev/network-backend"], "vxlan");
      assert.equal(annotations["skiff.dev/network-public-ip"], ip);
      assert.match(annotations["skiff.dev/network-vtep-mac"], /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
  });

  it("lets a pod reach a pod on the other node by IP and by Service name, and the API server the agent's kubelet", async () => {
    const onNode = (node: string) => `--overrides=${JSON.stringify({ spec: { nodeName: node } })}`;
    await kubectl.ok(["run", "echo-b", `--image=${BUSYBOX_IMAGE}`, "--labels=app=echo-b", onNode("net-b"), "--command", "--", "nc", "-ll", "-p", "9000", "-e", "cat"]);
    await kubectl.ok(["run", "client-a", `--image=${BUSYBOX_IMAGE}`, onNode("net-a"), "--command", "--", "sleep", "3600"]);
    const ipB = (await podIP("echo-b"))!;
    await podIP("client-a");
    const echo = async (target: string) => kubectl.run(["exec", "client-a", "--", "sh", "-c", `echo across | nc -w 3 ${target} 9000`]);
    const direct = await eventually(async () => { const r = await echo(ipB); return r.code === 0 && r.stdout ? r : undefined; }, 30_000, 1000);
    assert.equal(direct!.stdout, "across\n");
    await kubectl.ok(["expose", "pod", "echo-b", "--port=9000", "--name=echo-b"]);
    const byName = await eventually(async () => { const r = await echo("echo-b.default.svc.cluster.local"); return r.code === 0 && r.stdout ? r : undefined; }, 30_000, 1000);
    assert.equal(byName!.stdout, "across\n");
    // The agent's kubelet listens on its pod-network address, which the API server reaches over the overlay.
    assert.equal(await kubectl.ok(["exec", "echo-b", "--", "echo", "exec on net-b"]), "exec on net-b\n");
  });
});
