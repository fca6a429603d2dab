/**
 * `skiff agent` joining a running server as a further node, as a user runs
 * it: with the server's join token (a bootstrap token), on the process
 * runtime (so it runs beside any other test's node). TLS bootstrapping: the
 * bootstrap token gets the node its `system:node:NAME` client certificate
 * through a kube-apiserver-client-kubelet CSR, and as that node it asks for
 * its kubelet's serving certificate.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { killall, repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { runAgent } from "../../helpers/skiff-agent.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

describe("skiff agent", { skip: existsSync("/bin/busybox") ? false : "busybox is not installed" }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let agent: ReturnType<typeof runAgent> | undefined;
  const agentDir = mkdtempSync(join(tmpdir(), "skiff-agent-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    if (agent) { agent.child.kill("SIGTERM"); await agent.exited; }
    killall(agentDir, "skiff-agent0");
    await server?.[Symbol.asyncDispose]();
    rmSync(agentDir, { recursive: true, force: true });
  });

  it("refuses a token that does not match the server's CA", async () => {
    const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
    const forged = `K10${"0".repeat(64)}${token.slice(67)}`;
    const bad = runAgent(["--server", server.url, "--token", forged, "--data-dir", join(agentDir, "bad"), "--runtime", "process"]);
    assert.equal(await bad.exited, 1);
    assert.match(bad.output(), /the CA served by https:\/\/127\.0\.0\.1:\d+ does not match the token's fingerprint/);
    const wrongSecret = runAgent(["--server", server.url, "--token", `${token.slice(0, 67)}::abcdef.0123456789abcdef`, "--data-dir", join(agentDir, "bad"), "--runtime", "process"]);
    assert.equal(await wrongSecret.exited, 1);
    assert.match(wrongSecret.output(), /the server refused the token/);
    const oldForm = runAgent(["--server", server.url, "--token", `${token.slice(0, 67)}::node:0123456789abcdef0123456789abcdef`, "--data-dir", join(agentDir, "bad"), "--runtime", "process"]);
    assert.equal(await oldForm.exited, 1);
    assert.match(oldForm.output(), /the token is not a bootstrap token/);
  });

  it("joins through TLS bootstrapping, gets signed client and serving certificates, and runs pods that kubectl reaches", async () => {
    const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
    const m = /^K10[0-9a-f]{64}::([a-z0-9]{6})\.[a-z0-9]{16}$/.exec(token);
    assert.ok(m, `node-token holds ${token.slice(0, 70)}...`);
    const id = m[1]!;
    agent = runAgent(["--server", server.url, "--token", token, "--data-dir", agentDir, "--runtime", "process", "--node-name", "agent-1", "--kubelet-port", "0", "--pod-bridge", "skiff-agent0"]);
    await eventually(async () => /^agent-1\s+Ready\s/m.test(await kubectl.ok(["get", "nodes"])), 30_000, 200)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    await eventually(() => /joined/.test(agent!.output()) || undefined, 30_000, 200)
      .catch((err: Error) => { throw new Error(`${err.message}; the agent said:\n${agent!.output()}`); });
    assert.match(agent.output(), /Node agent-1 joined https:\/\/127\.0\.0\.1:\d+ and runs pods with process/);

    // The bootstrap token asked for the node's client certificate; the node itself for its serving certificate.
    const csrs = await kubectl.ok(["get", "csr"]);
    assert.match(csrs, new RegExp(`^node-csr-\\w+\\s+\\S+\\s+kubernetes\\.io/kube-apiserver-client-kubelet\\s+system:bootstrap:${id}\\s+<none>\\s+Approved,Issued$`, "m"));
    assert.match(csrs, /^csr-agent-1-\w+\s+\S+\s+kubernetes\.io\/kubelet-serving\s+system:node:agent-1\s+<none>\s+Approved,Issued$/m);
    // And, as the node, for its Service proxy's and cluster DNS's own identities.
    assert.match(csrs, /^proxy-csr-\w+\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+system:node:agent-1\s+<none>\s+Approved,Issued$/m);
    assert.match(csrs, /^coredns-csr-\w+\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+system:node:agent-1\s+<none>\s+Approved,Issued$/m);
    const items: Json[] = (await json(["get", "csr"])).items;
    const client = items.find((c) => c.spec.signerName === "kubernetes.io/kube-apiserver-client-kubelet")!;
    assert.deepEqual(client.spec.groups, ["system:bootstrappers", "system:authenticated"]);
    assert.equal(client.status.conditions[0].message, "Auto approving kubelet client certificate after SubjectAccessReview.");
    const serving = items.find((c) => c.spec.signerName === "kubernetes.io/kubelet-serving")!;
    assert.deepEqual(serving.spec.groups, ["system:nodes", "system:authenticated"]);

    // The process runtime mounts no volumes, so no service-account token either.
    await kubectl.ok(["run", "greeter", "--image=unused", `--overrides={"spec":{"automountServiceAccountToken":false}}`, "--command", "--", "sh", "-c", "echo hello from the agent; sleep 600"]);
    await eventually(async () => (await json(["get", "pod", "greeter"])).status.phase === "Running", 30_000, 200);
    assert.equal((await json(["get", "pod", "greeter"])).spec.nodeName, "agent-1");
    // Logs and exec go from the API server to the agent's kubelet, which shows the certificate the cluster CA signed.
    assert.equal(await eventually(async () => (await kubectl.run(["logs", "greeter"])).stdout || undefined, 10_000, 200), "hello from the agent\n");
    assert.equal(await kubectl.ok(["exec", "greeter", "--", "echo", "exec works"]), "exec works\n");
    await kubectl.ok(["delete", "pod", "greeter", "--grace-period=1"]);

    // A restarted agent reuses its certificate instead of asking again.
    agent.child.kill("SIGTERM");
    assert.equal(await agent.exited, 0);
    agent = runAgent(["--server", server.url, "--token", token, "--data-dir", agentDir, "--runtime", "process", "--node-name", "agent-1", "--kubelet-port", "0", "--pod-bridge", "skiff-agent0"]);
    await eventually(() => /joined/.test(agent!.output()) || undefined, 30_000, 200);
    assert.equal((await json(["get", "csr"])).items.length, 4);
  });

  it("runs the node's proxy and DNS as system:kube-proxy and system:coredns, and the node gets no other identity", async () => {
    const tls = join(agentDir, "agent", "tls");
    const ca = new X509Certificate(readFileSync(join(server.dataDir, "tls", "ca.crt")));
    for (const [file, subject] of [["kube-proxy", "CN=system:kube-proxy"], ["coredns", "CN=system:coredns"], ["kubelet-client", "CN=system:node:agent-1\nO=system:nodes"]]) {
      const cert = new X509Certificate(readFileSync(join(tls, `${file}.crt`)));
      assert.equal(cert.subject, subject, file);
      assert.equal(cert.subjectAltName, undefined, file);
      assert.ok(cert.verify(ca.publicKey), `${file} is signed by the cluster CA`);
    }

    // ServiceLB is the server's: a LoadBalancer Service gets the Ready node's address, which no node writes.
    const port = await freePort();
    await kubectl.ok(["create", "service", "loadbalancer", "lb", `--tcp=${port}:${port}`]);
    const lb = await eventually(async () => (await json(["get", "service", "lb"])).status?.loadBalancer?.ingress, 20_000, 200);
    assert.deepEqual(lb, [{ ip: "127.0.0.1", ipMode: "VIP" }]);
    await kubectl.ok(["delete", "service", "lb"]);
    assert.doesNotMatch(agent!.output(), /forbidden/i);

    // What each identity may do: the node stays within the Node authorizer; the proxy and DNS only read.
    const can = async (as: string[], args: string[]) => (await kubectl.run(["auth", "can-i", ...args, ...as])).stdout.trim();
    const node = ["--as=system:node:agent-1", "--as-group=system:nodes"];
    assert.equal(await can(node, ["get", "nodes/agent-1"]), "yes");
    assert.equal(await can(node, ["create", "services", "-n", "kube-system"]), "no");
    assert.equal(await can(node, ["patch", "services", "--subresource=status", "-n", "default"]), "no");
    assert.equal(await can(node, ["update", "endpointslices.discovery.k8s.io/kube-dns-skiff", "-n", "kube-system"]), "no");
    assert.equal(await can(node, ["update", "certificatesigningrequests.certificates.k8s.io", "--subresource=approval"]), "no");
    assert.equal(await can(["--as=system:kube-proxy"], ["watch", "endpointslices.discovery.k8s.io"]), "yes");
    assert.equal(await can(["--as=system:kube-proxy"], ["list", "secrets", "-A"]), "no");
    assert.equal(await can(["--as=system:coredns"], ["watch", "endpointslices.discovery.k8s.io"]), "yes");
    assert.equal(await can(["--as=system:coredns"], ["list", "namespaces"]), "yes");
    assert.equal(await can(["--as=system:coredns"], ["create", "services", "-n", "kube-system"]), "no");
    assert.equal(await can(["--as=system:coredns"], ["get", "secrets", "-n", "kube-system"]), "no");

    // As the node, with its own certificate: requests for any other identity are not approved.
    const nodeConfig = join(agentDir, "node.kubeconfig");
    writeFileSync(nodeConfig, [
      "apiVersion: v1", "kind: Config", "current-context: node",
      `clusters: [{name: c, cluster: {server: "${server.url}", certificate-authority: "${join(server.dataDir, "tls", "ca.crt")}"}}]`,
      `users: [{name: node, user: {client-certificate: "${join(tls, "kubelet-client.crt")}", client-key: "${join(tls, "kubelet-client.key")}"}}]`,
      "contexts: [{name: node, context: {cluster: c, user: node}}]", "",
    ].join("\n"), { mode: 0o600 });
    const asNode = kubectlFor(nodeConfig);
    const ask = (name: string, subject: string, signerName = "kubernetes.io/kube-apiserver-client") => {
      const key = join(agentDir, `${name}.key`);
      const request = join(agentDir, `${name}.csr`);
      execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request, "-subj", subject], { stdio: "ignore" });
      return asNode.run(["create", "-f", "-"], { input: JSON.stringify({
        apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
        spec: { request: readFileSync(request).toString("base64"), signerName, usages: ["digital signature", "client auth"] },
      }) });
    };
    const masters = await ask("node-asks-masters", "/CN=system:kube-proxy/O=system:masters");
    assert.match(masters.stderr, /use of kubernetes\.io\/kube-apiserver-client signer with system:masters group is not allowed/);
    const refused = ["node-asks-controller-manager", "node-asks-proxy-in-group", "node-asks-other-node", "node-asks-admin"];
    assert.equal((await ask(refused[0]!, "/CN=system:kube-controller-manager")).code, 0);
    assert.equal((await ask(refused[1]!, "/CN=system:kube-proxy/O=system:nodes")).code, 0);
    assert.equal((await ask(refused[2]!, "/CN=system:node:agent-2/O=system:nodes", "kubernetes.io/kube-apiserver-client-kubelet")).code, 0);
    assert.equal((await ask(refused[3]!, "/CN=admin")).code, 0);
    // The approver takes requests in order: once a later, allowed one is approved, it has decided on those before.
    assert.equal((await ask("node-asks-dns", "/CN=system:coredns")).code, 0);
    await eventually(async () => (await json(["get", "csr", "node-asks-dns"])).status?.certificate, 20_000, 200);
    for (const name of refused) {
      const csr = await json(["get", "csr", name]);
      assert.equal(csr.status?.conditions, undefined, `${name} is neither approved nor denied`);
      assert.equal(csr.status?.certificate, undefined, `${name} has no certificate`);
      assert.equal(csr.spec.username, "system:node:agent-1");
    }
    const approve = await asNode.run(["certificate", "approve", refused[0]!]);
    assert.notEqual(approve.code, 0);
    assert.match(approve.stderr, /forbidden/i);
  });

  it("lists the join token and makes new ones that cannot read secrets", async () => {
    const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
    const bootstrap = token.slice(69);
    const skiff = (args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "token", ...args, "--kubeconfig", server.kubeconfig], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.once("exit", (code) => resolve({ code, out }));
    });
    const listed = await skiff(["list"]);
    assert.equal(listed.code, 0, listed.out);
    assert.match(listed.out, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/m);
    assert.match(listed.out, new RegExp(`^${bootstrap.replace(".", "\\.")}\\s+<forever>\\s+<never>\\s+authentication,signing\\s+`, "m"));
    const created = await skiff(["create", "--ttl", "1h", "--description", "for the test"]);
    assert.equal(created.code, 0, created.out);
    assert.equal(created.out.slice(0, 69), token.slice(0, 69));
    const fresh = created.out.trim().slice(69);
    assert.match((await skiff(["list"])).out, new RegExp(`^${fresh.replace(".", "\\.")}\\s+(59m|1h)\\s+\\S+Z\\s+authentication,signing\\s+for the test`, "m"));

    // A bootstrap token is for joining only: it may not read secrets.
    const tokenConfig = join(agentDir, "bootstrap.kubeconfig");
    writeFileSync(tokenConfig, [
      "apiVersion: v1", "kind: Config",
      `clusters: [{name: c, cluster: {server: "${server.url}", certificate-authority-data: ${Buffer.from(readFileSync(join(server.dataDir, "tls", "ca.crt"))).toString("base64")}}}]`,
      `users: [{name: u, user: {token: "${fresh}"}}]`,
      "contexts: [{name: c, context: {cluster: c, user: u}}]", "current-context: c", "",
    ].join("\n"), { mode: 0o600 });
    const asBootstrap = kubectlFor(tokenConfig);
    const denied = await asBootstrap.run(["get", "secrets", "-A"]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`Error from server \\(Forbidden\\): secrets is forbidden: User "system:bootstrap:${fresh.slice(0, 6)}" cannot list resource "secrets" in API group "" at the cluster scope`));
    assert.equal((await skiff(["delete", fresh])).code, 0);
  });
});
