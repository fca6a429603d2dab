/**
 * `skiff agent` joining a running server as a further node, as a user runs
 * it: with the server's node token, on the process runtime (so it runs
 * beside any other test's node), its kubelet's serving certificate obtained
 * through a CertificateSigningRequest.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { killall, repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

function runAgent(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "agent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  void exited.then(() => process.off("exit", reap));
  return { child, output: () => output, exited };
}

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
    const wrongSecret = runAgent(["--server", server.url, "--token", `${token.slice(0, 67)}::node:nope`, "--data-dir", join(agentDir, "bad"), "--runtime", "process"]);
    assert.equal(await wrongSecret.exited, 1);
    assert.match(wrongSecret.output(), /the server refused the token/);
  });

  it("joins with the node token, gets a signed serving certificate, and runs pods that kubectl reaches", async () => {
    const token = readFileSync(join(server.dataDir, "node-token"), "utf8").trim();
    assert.match(token, /^K10[0-9a-f]{64}::node:[0-9a-f]+$/);
    agent = runAgent(["--server", server.url, "--token", token, "--data-dir", agentDir, "--runtime", "process", "--node-name", "agent-1", "--kubelet-port", "0", "--pod-bridge", "skiff-agent0"]);
    await eventually(async () => /^agent-1\s+Ready\s/m.test(await kubectl.ok(["get", "nodes"])), 30_000, 200);
    assert.match(agent.output(), /Node agent-1 joined https:\/\/127\.0\.0\.1:\d+ and runs pods with process/);

    const csrs = await kubectl.ok(["get", "csr"]);
    assert.match(csrs, /^csr-agent-1-\w+\s+\S+\s+kubernetes\.io\/kubelet-serving\s+system:node-bootstrap\s+<none>\s+Approved,Issued$/m);
    const csr = (await json(["get", "csr"])).items[0];
    assert.deepEqual(csr.spec.groups, ["system:nodes", "system:authenticated"]);

    await kubectl.ok(["run", "greeter", "--image=unused", "--command", "--", "sh", "-c", "echo hello from the agent; sleep 600"]);
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
    assert.equal((await json(["get", "csr"])).items.length, 1);
  });
});
