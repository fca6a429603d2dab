/**
 * A joined node's cluster DNS, with real containers (`--runtime cri` on the
 * agent; the server runs no real node of its own, so this is the machine's
 * one cri node, and a simulated node holds 10.244.0.0/24, which runs no DNS
 * and so is no endpoint): the server alone creates the kube-dns Service, once; the node's
 * DNS acts as system:coredns and only reads; the node announces its DNS
 * server on its Node and the server makes it the Service's endpoint, which a
 * pod on the node reaches at 10.96.0.10 through the node's proxy (as
 * system:kube-proxy). Root, Debian's containerd, runc, CNI plugins and
 * nftables. Run under `flock /tmp/skiff-cri.lock`.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { nftAvailable } from "../../../src/proxy/nftables-proxier.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { killall, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { runAgent } from "../../helpers/skiff-agent.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason() ?? (nftAvailable() ? null : "nft is not installed");
const BRIDGE = "skiffdns0";
const NODE = "dns-agent";

describe("a joined node's cluster DNS", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let agent: ReturnType<typeof runAgent> | undefined;
  const agentDir = mkdtempSync(join(tmpdir(), "skiff-agent-dns-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const start = () => {
    const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
    agent = runAgent(["--server", server.url, "--token", token, "--data-dir", agentDir, "--runtime", "cri", "--node-name", NODE, "--kubelet-port", "0", "--pod-bridge", BRIDGE]);
  };
  const stop = async () => {
    if (!agent) return;
    agent.child.kill("SIGTERM");
    await agent.exited;
  };

  before(async () => {
    server = await startServer({ simNodes: 1 });
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    await stop();
    killall(agentDir, BRIDGE);
    await server?.[Symbol.asyncDispose]();
    rmSync(agentDir, { recursive: true, force: true });
  });

  it("is the endpoint of the one kube-dns Service the server made, and answers the node's pods", async () => {
    // The server makes the Service as it starts, before any node joins.
    const before = (await eventually(async () => (await kubectl.run(["get", "service", "kube-dns", "-n", "kube-system", "-o", "json"])).stdout || undefined, 20_000, 200)
      .then((out) => JSON.parse(out!))) as Json;
    assert.equal(before.spec.clusterIP, "10.96.0.10");
    assert.equal(before.spec.internalTrafficPolicy, "Local");

    // The simulated node takes the first pod CIDR, so the agent's bridge is 10.244.1.1.
    await eventually(async () => (await kubectl.ok(["get", "nodes", "-l", "type=sim", "-o", "name"])).trim() || undefined, 20_000, 200);
    start();
    await eventually(async () => new RegExp(`^${NODE}\\s+Ready\\s`, "m").test(await kubectl.ok(["get", "nodes"])), 90_000, 250)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    const node = await json(["get", "node", NODE]);
    const nodeIP = node.status.addresses.find((a: Json) => a.type === "InternalIP").address as string;
    const slice = await eventually(async () => {
      const s = await json(["get", "endpointslice", "kube-dns-skiff", "-n", "kube-system"]);
      return s.endpoints?.some((e: Json) => e.conditions?.ready) ? s : undefined;
    }, 30_000, 200).catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    assert.equal((await json(["get", "node", NODE])).metadata.annotations["skiff.dev/cluster-dns-address"], nodeIP);
    assert.deepEqual(slice!.endpoints, [{ addresses: [nodeIP], conditions: { ready: true, serving: true, terminating: false }, nodeName: NODE }]);
    assert.deepEqual(slice!.ports.map((p: Json) => `${p.name}/${p.protocol}/${p.port}`).sort(), ["dns-tcp/TCP/53", "dns/UDP/53"]);

    // A pod on the node resolves names through 10.96.0.10, the node's own DNS server behind its proxy.
    await kubectl.ok(["run", "resolver", `--image=${BUSYBOX_IMAGE}`, `--overrides={"spec":{"terminationGracePeriodSeconds":0,"nodeName":"${NODE}"}}`, "--", "sleep", "3600"]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/resolver", "--timeout=90s"]);
    const answer = await eventually(async () => {
      const r = await kubectl.run(["exec", "resolver", "--", "nslookup", "kubernetes.default.svc.cluster.local", "10.96.0.10"]);
      return r.code === 0 && /Address: 10\.96\.0\.1$/m.test(r.stdout) ? r.stdout : undefined;
    }, 30_000, 500);
    assert.match(answer!, /Name:\s+kubernetes\.default\.svc\.cluster\.local/);

    assert.doesNotMatch(agent!.output(), /forbidden/i);

    // A restarted node makes no Service of its own: still the one the server made.
    await stop();
    start();
    await eventually(() => /joined/.test(agent!.output()) || undefined, 60_000, 250);
    await eventually(() => /cluster DNS serving/.test(agent!.output()) || undefined, 60_000, 250);
    const services = (await json(["get", "services", "-A"])).items.filter((s: Json) => s.metadata.name === "kube-dns");
    assert.equal(services.length, 1);
    assert.equal(services[0].metadata.uid, before.metadata.uid);
    assert.equal(services[0].metadata.resourceVersion, before.metadata.resourceVersion, "no one wrote the Service since the server made it");
    assert.doesNotMatch(agent!.output(), /forbidden/i);
    await kubectl.ok(["delete", "pod", "resolver", "--grace-period=0", "--force"]);
  });
});
