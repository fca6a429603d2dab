/**
 * The iptables proxier, for machines without nftables (`--proxy-mode
 * iptables`): a ClusterIP by name balanced over ready pods, a NodePort on the
 * node address, its syncs on the kubelet's /metrics, an unallocated service
 * address refused, and the SKIFF chains
 * removed by `skiff killall`. Real containers, so root and Debian's
 * containerd, runc, CNI plugins and iptables are needed.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { iptablesAvailable } from "../../../src/proxy/iptables-proxier.js";
import { eventually, exposeWebWithClient, kubectlFor } from "../../helpers/kubectl.js";
import { samples, total } from "../../helpers/exposition.js";
import { killall, removeNode, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason() ?? (iptablesAvailable() ? null : "iptables is not installed");
const BRIDGE = "skiffipt0";

describe("services through the iptables proxier", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-iptables-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const sh = (script: string) => kubectl.run(["exec", "client", "--", "sh", "-c", script]);
  const natChains = () => (spawnSync("iptables-save", ["-t", "nat"], { encoding: "utf8" }).stdout ?? "").match(/^:SKIFF-\S+/gm) ?? [];

  before(async () => {
    server = await startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", "ipt-node", "--proxy-mode", "iptables", "--disable-ingress"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "ipt-node"])), 60_000, 250);
    await kubectl.ok(["create", "deployment", "web", `--image=${BUSYBOX_IMAGE}`, "--replicas=2", "--", "sh", "-c", "mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www"]);
    await exposeWebWithClient(kubectl, BUSYBOX_IMAGE);
  });
  after(() => removeNode(server, dataDir, BRIDGE));

  it("balances a Service's name over its pods, and answers its NodePort on the node address", async () => {
    const pods = ((await json(["get", "pods", "-l", "app=web"])).items as Json[]).map((p) => p.metadata.name as string).sort();
    const seen = await eventually(async () => {
      const r = await sh("for i in $(seq 1 30); do wget -qO- http://web.default.svc.cluster.local/; done");
      const hosts = new Set(r.stdout.trim().split("\n").filter(Boolean));
      return hosts.size === 2 ? [...hosts].sort() : undefined;
    }, 20_000, 500);
    assert.deepEqual(seen, pods);
    const node = await json(["get", "node", "ipt-node"]);
    const nodeIP = node.status.addresses.find((a: Json) => a.type === "InternalIP").address;
    const nodePort = (await json(["get", "service", "web"])).spec.ports[0].nodePort;
    const r = await sh(`wget -qO- http://${nodeIP}:${nodePort}/`);
    assert.ok(pods.includes(r.stdout.trim()), r.stdout + r.stderr);
    const clusterIP = (await json(["get", "service", "web"])).spec.clusterIP;
    const fromNode = await (await fetch(`http://${clusterIP}/`)).text();
    assert.ok(pods.includes(fromNode.trim()), "the node reaches the ClusterIP");
    assert.ok(natChains().some((c) => c.startsWith(":SKIFF-SVC-")));
  });

  it("reports its syncs on the kubelet's /metrics with iptables' failure counter, and no full or partial histograms", async () => {
    const m = samples(await kubectl.ok(["get", "--raw", "/api/v1/nodes/ipt-node/proxy/metrics"]));
    assert.ok(total(m, "kubeproxy_sync_proxy_rules_duration_seconds_count") > 0);
    assert.ok(total(m, "kubeproxy_sync_proxy_rules_last_timestamp_seconds") > Date.now() / 1000 - 3600);
    assert.ok(total(m, "kubeproxy_network_programming_duration_seconds_count") > 0, "the web pods' endpoints, programmed");
    assert.equal(m.get("kubeproxy_sync_proxy_rules_iptables_restore_failures_total"), 0);
    assert.ok(![...m.keys()].some((k) => k.startsWith("kubeproxy_sync_full_") || k.startsWith("kubeproxy_sync_partial_") || k.includes("nftables")));
  });

  it("refuses an unallocated service address at once", async () => {
    const r = await sh("wget -qO- http://10.96.250.250/");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused/);
  });

  it("removes its chains with skiff killall", async () => {
    await server.stop();
    killall(dataDir, BRIDGE);
    assert.deepEqual(natChains(), []);
    assert.doesNotMatch(spawnSync("iptables-save", ["-t", "filter"], { encoding: "utf8" }).stdout ?? "", /SKIFF-/);
  });
});
