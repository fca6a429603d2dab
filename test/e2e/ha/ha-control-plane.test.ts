/**
 * A highly available control plane as a user builds one: a 3-member etcd
 * cluster, a first `skiff server` on it, and a second that joins with
 * `--server URL --token $(cat node-token)`. With the real kubectl: what is
 * made through one server is read and watched through the other (objects,
 * a CRD's resource, RBAC, a ValidatingAdmissionPolicy, an admission webhook,
 * a service-account token); Services created through both at once never
 * share a ClusterIP or a NodePort; an agent's token cannot join a server.
 * An agent joins through the first server; then that server (which, started
 * first, leads the controllers) is SIGKILLed: the `kubernetes` Endpoints drop
 * it, the other serves on and takes the leases over (a Deployment made after
 * the kill gets its ReplicaSet), and the node renews its Lease through it.
 * Last, an etcd member is SIGKILLed while writes go on: every acknowledged
 * write is there. Each process it started is ended and checked gone.
 *
 * The servers listen on one port on two loopback addresses: the `kubernetes`
 * Service has one target port for all its endpoints, as upstream assumes of
 * its API servers.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConfigMap } from "kubernetes-types/core/v1.js";
import { Client, Resources, loadKubeconfig, type KubeObject } from "../../../src/client/index.js";
import { isAlive, startEtcdCluster, type EtcdCluster } from "../../helpers/etcd-cluster.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { killOnProcessEnd } from "../../helpers/process-end.js";
import { startWebhookServer } from "../../helpers/webhook-server.js";
import { killall, repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { runAgent, type RunningAgent } from "../../helpers/skiff-agent.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const ADDRESSES = ["127.0.0.31", "127.0.0.32"];
const NS = "ha";
const AGENT = "ha-agent";
const AGENT_BRIDGE = "skiff-ha0";

const crd = JSON.stringify({
  apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "boats.example.com" },
  spec: {
    group: "example.com", scope: "Namespaced", names: { plural: "boats", singular: "boat", kind: "Boat" },
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { sails: { type: "integer" } } } } } } }],
  },
});

const policy = JSON.stringify({
  apiVersion: "v1", kind: "List", items: [
    {
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "no-forbidden" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }] },
        validations: [{ expression: "!has(object.data) || !('forbidden' in object.data)", message: "forbidden key" }],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "no-forbidden" },
      spec: { policyName: "no-forbidden", validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } } },
    },
  ],
});

const services = (prefix: string, n: number) => JSON.stringify({
  apiVersion: "v1", kind: "List",
  items: Array.from({ length: n }, (_, i) => ({
    apiVersion: "v1", kind: "Service", metadata: { name: `${prefix}-${i}`, namespace: NS },
    spec: { type: "NodePort", selector: { app: "x" }, ports: [{ port: 80, protocol: "TCP" }] },
  })),
});

const missing = ["/usr/bin/etcd", "/bin/busybox"].filter((f) => !existsSync(f));

describe("two skiff servers on a 3-member etcd cluster", { skip: missing.length ? `not installed: ${missing.join(", ")}` : false }, () => {
  let etcd: EtcdCluster;
  const servers: RunningServer[] = [];
  const pids: number[] = [];
  let kubectl: ReturnType<typeof kubectlFor>[] = [];
  let agent: RunningAgent | undefined;
  let agentDir = "";
  const json = async (k: ReturnType<typeof kubectlFor>, args: string[]): Promise<Json> => JSON.parse(await k.ok([...args, "-o", "json"]));
  const kubernetesEndpoints = async (k: ReturnType<typeof kubectlFor>) =>
    ((await json(k, ["get", "endpoints", "kubernetes", "-n", "default"])).subsets?.[0]?.addresses ?? []).map((a: Json) => a.ip as string);

  before(async () => {
    agentDir = mkdtempSync(join(tmpdir(), "skiff-ha-agent-"));
    etcd = await startEtcdCluster(3);
    pids.push(...etcd.pids);
    const common = ["--datastore-endpoint", etcd.endpoints, "--disable-ingress"];
    const first = await startServer({ args: [...common, "--bind-address", ADDRESSES[0]!] });
    servers.push(first);
    pids.push(first.process.pid!);
    const port = new URL(first.url).port;
    const token = readFileSync(join(first.dataDir, "node-token"), "utf8").trim();
    const second = await startServer({ args: [...common, "--bind-address", ADDRESSES[1]!, "--port", port, "--server", first.url, "--token", token] });
    servers.push(second);
    pids.push(second.process.pid!);
    kubectl = servers.map((s) => kubectlFor(s.kubeconfig));
    await kubectl[0]!.ok(["create", "namespace", NS]);
    // A node that joins through the first server (process runtime: it runs beside any other test's node).
    agent = runAgent(["--server", first.url, "--token", token, "--data-dir", agentDir, "--runtime", "process", "--node-name", AGENT,
      "--kubelet-port", "0", "--pod-bridge", AGENT_BRIDGE]);
    pids.push(agent.child.pid!);
    await eventually(async () => new RegExp(`^${AGENT}\\s+Ready\\s`, "m").test(await kubectl[0]!.ok(["get", "nodes"])), 30_000, 300)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
  });

  after(async () => {
    if (agent) { agent.child.kill("SIGTERM"); await agent.exited; }
    if (agentDir) {
      killall(agentDir, AGENT_BRIDGE);
      rmSync(agentDir, { recursive: true, force: true });
    }
    for (const s of servers) await s.kill().catch(() => undefined);
    for (const s of servers) await s[Symbol.asyncDispose]();
    await etcd?.[Symbol.asyncDispose]();
    const alive = pids.filter(isAlive);
    assert.deepEqual(alive, [], "every process the test started has ended");
  });

  it("the joined server serves the same cluster with its own serving certificate", async () => {
    const [a, b] = servers;
    // One CA: A's kubeconfig (A's admin certificate, A's CA) works against B, and B's certificate names B's address.
    const viaB = await kubectl[0]!.ok(["--server", b!.url, "get", "namespace", NS, "-o", "name"]);
    assert.equal(viaB.trim(), `namespace/${NS}`);
    assert.equal(readFileSync(join(a!.dataDir, "tls/ca.crt"), "utf8"), readFileSync(join(b!.dataDir, "tls/ca.crt"), "utf8"));
    assert.notEqual(readFileSync(join(a!.dataDir, "tls/serving.crt"), "utf8"), readFileSync(join(b!.dataDir, "tls/serving.crt"), "utf8"));
    // Both servers hold one server token, so node-token is the same file on both.
    assert.equal(readFileSync(join(a!.dataDir, "node-token"), "utf8"), readFileSync(join(b!.dataDir, "node-token"), "utf8"));
    // A service-account token issued by A is accepted by B (one signing key).
    const token = (await kubectl[0]!.ok(["create", "token", "default", "-n", NS])).trim();
    const whoami = await json(kubectl[1]!, ["auth", "whoami", "--token", token]);
    assert.equal(whoami.status.userInfo.username, `system:serviceaccount:${NS}:default`);
    // Both servers in the kubernetes Endpoints.
    await eventually(async () => (await kubernetesEndpoints(kubectl[0]!)).join() === ADDRESSES.join(), 30_000, 500);
  });

  it("an agent's token cannot join a server", async () => {
    // A valid bootstrap token of this cluster, as `skiff token create` makes for agents: it is not the server token.
    const agentToken = execFileSync(process.execPath, [join(repoRoot, "bin/skiff.js"), "token", "create", "--kubeconfig", servers[0]!.kubeconfig], { encoding: "utf8" }).trim();
    assert.match(agentToken, /^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const child = killOnProcessEnd(spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "server", "--data-dir", join(servers[1]!.dataDir, "refused"),
      "--bind-address", "127.0.0.33", "--port", "0", "--runtime", "none", "--datastore-endpoint", etcd.endpoints,
      "--server", servers[0]!.url, "--token", agentToken], { stdio: ["ignore", "ignore", "pipe"] }));
    pids.push(child.pid!);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /refused the token: it is not that server's token/);
  });

  it("what is written through one server is read and watched through the other", async () => {
    const watch = killOnProcessEnd(spawn("/usr/bin/kubectl", ["--kubeconfig", servers[1]!.kubeconfig, "--cache-dir", kubectl[1]!.cacheDir,
      "get", "configmaps", "-n", NS, "--watch", "-o", "name"], { stdio: ["ignore", "pipe", "pipe"] }));
    pids.push(watch.pid!);
    let watched = "";
    watch.stdout!.on("data", (d: Buffer) => (watched += d.toString()));
    try {
      await eventually(() => watched.includes("configmap/kube-root-ca.crt"), 20_000, 100);
      await kubectl[0]!.ok(["create", "configmap", "made-on-a", "-n", NS, "--from-literal=k=v"]);
      await eventually(() => watched.includes("configmap/made-on-a"), 20_000, 100);
      assert.equal((await json(kubectl[1]!, ["get", "configmap", "made-on-a", "-n", NS])).data.k, "v");
    } finally {
      watch.kill("SIGKILL");
    }

    // A CRD made through A: its resource is served by B.
    await kubectl[0]!.ok(["apply", "-f", "-"], { input: crd });
    await kubectl[0]!.ok(["wait", "--for=condition=Established", "crd/boats.example.com", "--timeout=30s"]);
    await eventually(async () => (await kubectl[1]!.run(["get", "boats", "-n", NS])).code === 0, 20_000, 300);
    await kubectl[1]!.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "example.com/v1", kind: "Boat", metadata: { name: "dinghy", namespace: NS }, spec: { sails: 1 } }) });
    assert.equal((await json(kubectl[0]!, ["get", "boat", "dinghy", "-n", NS])).spec.sails, 1);
    // B validates against the CRD's schema too.
    const bad = await kubectl[1]!.run(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "example.com/v1", kind: "Boat", metadata: { name: "raft", namespace: NS }, spec: { sails: "many" } }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The Boat "raft" is invalid: spec\.sails: Invalid value: .*integer/);

    // RBAC granted through A authorizes on B.
    await kubectl[0]!.ok(["create", "role", "reader", "-n", NS, "--verb=list", "--resource=pods"]);
    await kubectl[0]!.ok(["create", "rolebinding", "jane-reads", "-n", NS, "--role=reader", "--user=jane"]);
    await eventually(async () => (await kubectl[1]!.run(["auth", "can-i", "list", "pods", "-n", NS, "--as=jane"])).stdout.trim() === "yes", 20_000, 300);

    // A ValidatingAdmissionPolicy made through A denies on B.
    await kubectl[0]!.ok(["apply", "-f", "-"], { input: policy });
    await eventually(async () => {
      const r = await kubectl[1]!.run(["create", "configmap", `probe-${Date.now()}`, "-n", NS, "--from-literal=forbidden=1"]);
      return r.code !== 0 && /ValidatingAdmissionPolicy 'no-forbidden' with binding 'no-forbidden' denied request: forbidden key/.test(r.stderr);
    }, 20_000, 500);
  });

  it("an admission webhook configured through one server is called by the other", async () => {
    await using hooks = await startWebhookServer();
    hooks.handle("/deny", () => ({ allowed: false, status: { message: "not through any server" } }));
    await kubectl[0]!.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "deny" },
      webhooks: [{
        name: "deny.ha.example.com", clientConfig: { url: `${hooks.url}/deny`, caBundle: hooks.caBundle },
        rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
        objectSelector: { matchLabels: { hook: "deny" } }, sideEffects: "None", admissionReviewVersions: ["v1"],
      }],
    }) });
    const refused = await eventually(async () => {
      const r = await kubectl[1]!.run(["create", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `hooked-${Date.now()}`, namespace: NS, labels: { hook: "deny" } } }) });
      return r.code !== 0 ? r : undefined;
    }, 20_000, 300);
    assert.match(refused!.stderr, /admission webhook "deny\.ha\.example\.com" denied the request: not through any server/);
    await kubectl[0]!.ok(["delete", "validatingwebhookconfiguration", "deny"]);
  });

  it("Services created through both servers at once never share a ClusterIP or a NodePort", async () => {
    // Three kubectl at a time on each server, ten Services each.
    await Promise.all([0, 1].flatMap((s) => [0, 1, 2].map((j) => kubectl[s]!.ok(["create", "-f", "-"], { input: services(`s${s}-${j}`, 10) }))));
    const items = (await json(kubectl[1]!, ["get", "services", "-n", NS])).items as Json[];
    assert.equal(items.length, 60);
    const ips = items.map((s) => s.spec.clusterIP as string);
    const ports = items.map((s) => s.spec.ports[0].nodePort as number);
    assert.equal(new Set(ips).size, 60, "no ClusterIP twice");
    assert.equal(new Set(ports).size, 60, "no NodePort twice");
  });

  it("the server the agent joined through (and the controllers' leader) is killed: the other serves on, drops it from the endpoints, takes the controllers over, and the node moves to it", async () => {
    const holder = async (k: ReturnType<typeof kubectlFor>, name: string) => (await json(k, ["get", "lease", name, "-n", "kube-system"])).spec.holderIdentity as string;
    const renewTime = async (k: ReturnType<typeof kubectlFor>) => Date.parse((await json(k, ["get", "lease", AGENT, "-n", "kube-node-lease"])).spec.renewTime);
    // The first server started alone, so it normally holds both Leases; either way they must end on the other.
    // The agent has learnt both servers from the kubernetes Endpoints before its server goes.
    await eventually(() => agent!.output().includes(`"servers":["${ADDRESSES[0]}:`) && agent!.output().includes(`${ADDRESSES[1]}:`), 30_000, 500)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    const k = kubectl[1]!;
    await servers[0]!.kill();
    const killedAt = Date.now();

    // Still serving; the dead server's lease expires (15 s) and it leaves the endpoints.
    await k.ok(["get", "namespace", NS]);
    await eventually(async () => (await kubernetesEndpoints(k)).join() === ADDRESSES[1], 40_000, 1000);
    // The standby takes the controller manager's and the scheduler's Leases within the lease's life and a retry.
    const survivorIdentity = new URL(servers[1]!.url).host;
    await eventually(async () => (await holder(k, "kube-controller-manager")).endsWith(`_${survivorIdentity}`), 30_000, 500);
    await eventually(async () => (await holder(k, "kube-scheduler")).endsWith(`_${survivorIdentity}`), 30_000, 500);
    await k.ok(["create", "deployment", "after-kill", "-n", NS, "--image=busybox", "--", "sleep", "3600"]);
    await eventually(async () => ((await json(k, ["get", "replicasets", "-n", NS, "-l", "app=after-kill"])).items as Json[]).length === 1, 30_000, 500);
    // The node renews its Lease through the other server and stays Ready.
    await eventually(async () => (await renewTime(k)) > killedAt + 1000, 30_000, 1000)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    assert.match(await k.ok(["get", "node", AGENT]), new RegExp(`^${AGENT}\\s+Ready\\s`, "m"));
    assert.match(agent!.output(), new RegExp(`"api server changed".*"to":"${ADDRESSES[1]!.replaceAll(".", "\\.")}:`));
  });

  it("an etcd member dies while writes go on: every acknowledged write is kept", async () => {
    const survivor = servers.find((s) => s.process.exitCode === null && s.process.signalCode === null)!;
    const client = new Client(loadKubeconfig(survivor.kubeconfig));
    const acknowledged: string[] = [];
    try {
      let killed = false;
      // Writes one after another; the first etcd member is killed after ten of them.
      for (let i = 0; i < 40; i++) {
        if (i === 10) { await etcd.members[0]!.kill(); killed = true; }
        const name = `write-${i}`;
        try {
          await client.create<KubeObject & ConfigMap>(Resources.configmaps, NS, { metadata: { name }, data: { i: String(i) } });
          acknowledged.push(name);
        } catch {
          // Not acknowledged (the member went away under it): it may or may not be there; nothing is claimed.
        }
      }
      assert.ok(killed);
      assert.ok(acknowledged.length >= 30, `most writes acknowledged (${acknowledged.length} of 40)`);
      const stored = new Set((await client.list<KubeObject & ConfigMap>(Resources.configmaps, NS)).items.map((c) => c.metadata.name));
      assert.deepEqual(acknowledged.filter((n) => !stored.has(n)), [], "no acknowledged write lost");
    } finally {
      client.close();
    }
  });
});
