/**
 * The streaming protocols besides kubectl v1.32's defaults, on the process
 * runtime (no root, no containerd): exec and port-forward over SPDY/3.1, as
 * kubectl up to v1.29, client-go before 1.30 and many tools speak them (the
 * real kubectl v1.32 forced to SPDY, and kubectl v1.20, which speaks nothing
 * else, when the conformance kit is beside the repo); the older WebSocket
 * exec protocols; and pods/log over WebSocket.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { parse as parseYaml } from "yaml";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

/** A TCP echo server on loopback, the port its argument: the process runtime runs it as the pod's container. */
const ECHO_SERVER = "require('net').createServer((s) => s.pipe(s)).listen(Number(process.argv[1]), '127.0.0.1')";

const SPDY = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false", KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" };

/** kubectl v1.20 from the conformance kit (shared/ beside the repo in CI), unpacked into dir; undefined without it. */
function oldKubectl(dir: string): string | undefined {
  const packed = process.env.SKIFF_CONFORMANCE_BIN ? join(process.env.SKIFF_CONFORMANCE_BIN, "kubectl.xz") : join(repoRoot, "..", "shared", "conformance", "bin", "kubectl.xz");
  if (!existsSync(packed)) return undefined;
  const out = join(dir, "kubectl-1.20");
  writeFileSync(out, execFileSync("xz", ["-dc", packed], { maxBuffer: 256 * 1024 * 1024 }), { mode: 0o755 });
  return out;
}

/** Starts `kubectl port-forward` and resolves once it says it is forwarding every port. */
async function portForward(kubectl: string, kubeconfig: string, cacheDir: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(kubectl, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "port-forward", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: cacheDir, ...env } });
  let said = "";
  child.stdout.on("data", (d: Buffer) => { said += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { said += d.toString(); });
  const ports = args.filter((a) => a.includes(":")).map((a) => a.split(":")[0]);
  await eventually(() => ports.every((p) => said.includes(`Forwarding from 127.0.0.1:${p}`)) || undefined, 20_000, 100).catch(() => { throw new Error(`kubectl port-forward did not start: ${said}`); });
  return { stop: () => child.kill(), said: () => said };
}

/** Sends data through a TCP port and reads it all back (the pod echoes). */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const sock = connect(port, "127.0.0.1", () => sock.write(data));
    sock.on("data", (d: Buffer) => { chunks.push(d); n += d.length; if (n >= data.length) { sock.destroy(); resolve(Buffer.concat(chunks)); } });
    sock.on("error", reject);
    sock.setTimeout(30_000, () => { sock.destroy(); reject(new Error(`port ${port} went quiet after ${n} of ${data.length} bytes`)); });
  });
}

/** A WebSocket to the API server as the kubeconfig's user, with the given subprotocols. */
function webSocket(kubeconfig: string, path: string, protocols: string[]): WebSocket {
  const kc = parseYaml(readFileSync(kubeconfig, "utf8"));
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  return new WebSocket(cluster.server.replace(/^https/, "wss") + path, protocols, {
    ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
    cert: Buffer.from(user["client-certificate-data"], "base64"),
    key: Buffer.from(user["client-key-data"], "base64"),
  });
}

/** Every message of a WebSocket session until the server closes it, and the protocol it chose. */
function session(ws: WebSocket, send: Array<string | Buffer> = []): Promise<{ protocol: string; messages: Array<{ data: Buffer; binary: boolean }> }> {
  return new Promise((resolve, reject) => {
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    ws.on("open", () => { for (const m of send) ws.send(m, { binary: typeof m !== "string" }); });
    ws.on("message", (data: Buffer, binary: boolean) => messages.push({ data, binary }));
    ws.on("close", () => resolve({ protocol: ws.protocol, messages }));
    ws.on("error", reject);
  });
}

describe("exec, port-forward and logs over SPDY and the other WebSocket protocols", { skip: existsSync("/bin/busybox") ? false : "busybox is not installed" }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const scratch = mkdtempSync(join(tmpdir(), "skiff-spdy-"));
  const old = oldKubectl(scratch);
  const apply = (yaml: string) => kubectl.ok(["apply", "-f", "-"], { input: yaml });
  const phase = async (name: string) => JSON.parse(await kubectl.ok(["get", "pod", name, "-o", "json"])).status.phase;

  before(async () => {
    server = await startServer({ runtime: "process", args: ["--kubelet-port", "0", "--node-name", "spdy-node"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "spdy-node"])), 30_000, 200);
    await kubectl.ok(["run", "shell", "--image=unused", "--command", "--", "sleep", "600"]);
    await eventually(async () => (await phase("shell")) === "Running", 20_000, 200);
  });
  after(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs kubectl exec with SPDY: stdout, stderr, stdin to its end, and the exit code", async () => {
    assert.equal(await kubectl.ok(["exec", "shell", "--", "sh", "-c", "echo out; echo err >&2"], { env: SPDY }), "out\n");
    const failed = await kubectl.run(["exec", "shell", "--", "sh", "-c", "echo oops >&2; exit 3"], { env: SPDY });
    assert.equal(failed.code, 3);
    assert.match(failed.stderr, /oops/);
    assert.match(failed.stderr, /command terminated with exit code 3/);
    // The end of kubectl's input reaches the command (the stdin stream's FIN), so cat ends by itself.
    assert.equal(await kubectl.ok(["exec", "-i", "shell", "--", "cat"], { input: "piped through\n", env: SPDY }), "piped through\n");
    assert.equal((await kubectl.ok(["exec", "-i", "shell", "--", "wc", "-c"], { input: "x".repeat(300_000), env: SPDY })).trim(), "300000");
    const big = await kubectl.ok(["exec", "shell", "--", "sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' y"], { env: SPDY });
    assert.equal(big.length, 1_000_000);
  });

  it("refuses a user without create on pods/exec, over SPDY as by WebSocket", async () => {
    await kubectl.ok(["create", "role", "pod-reader", "--verb=get", "--resource=pods"]);
    await kubectl.ok(["create", "rolebinding", "intruder-reads", "--role=pod-reader", "--user=intruder"]);
    const denied = await eventually(async () => {
      const r = await kubectl.run(["exec", "shell", "--as=intruder", "--", "echo", "in"], { env: SPDY });
      return /pods\/exec/.test(r.stderr) ? r : undefined;
    }, 10_000, 200);
    assert.notEqual(denied!.code, 0);
    assert.match(denied!.stderr, /pods "shell" is forbidden: User "intruder" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
    await kubectl.ok(["create", "role", "pod-exec", "--verb=create", "--resource=pods/exec"]);
    await kubectl.ok(["create", "rolebinding", "intruder-execs", "--role=pod-exec", "--user=intruder"]);
    assert.equal(await eventually(() => kubectl.ok(["exec", "shell", "--as=intruder", "--", "echo", "in"], { env: SPDY }), 10_000, 200), "in\n");
    await kubectl.ok(["delete", "rolebinding", "intruder-reads", "intruder-execs"]);
    await kubectl.ok(["delete", "role", "pod-reader", "pod-exec"]);
  });

  it("forwards several ports, and several connections on each, with kubectl port-forward over SPDY", async () => {
    const [echoPort, webPort, local1, local2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    writeFileSync(join(scratch, "index.html"), "through SPDY\n");
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: servers}
spec:
  containers:
  - {name: echo, image: unused, command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(ECHO_SERVER)}, "${echoPort}"]}
  - {name: web, image: unused, command: ["busybox", "httpd", "-f", "-p", "127.0.0.1:${webPort}", "-h", "${scratch}"]}
`);
    await eventually(async () => (await phase("servers")) === "Running", 20_000, 200);
    const forward = await portForward("/usr/bin/kubectl", server.kubeconfig, kubectl.cacheDir, ["pod/servers", `${local1}:${echoPort}`, `${local2}:${webPort}`], SPDY);
    try {
      const body = await eventually(async () => { try { return await (await fetch(`http://127.0.0.1:${local2}/`)).text(); } catch { return undefined; } }, 20_000, 200);
      assert.equal(body, "through SPDY\n");
      // Three connections at once through one session, 1 MiB each, echoed back whole.
      const payloads = [randomBytes(1 << 20), randomBytes(1 << 20), randomBytes(1 << 20)];
      const echoed = await Promise.all(payloads.map((p) => roundTrip(local1, p)));
      echoed.forEach((e, i) => assert.ok(e.equals(payloads[i]!), `connection ${i} came back whole`));
      assert.equal(await (await fetch(`http://127.0.0.1:${local2}/`)).text(), "through SPDY\n");
    } finally {
      forward.stop();
    }
  });

  it("serves kubectl v1.20, which speaks only SPDY", { skip: old ? false : "the conformance kit's kubectl is not beside the repo" }, async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(old!, ["--kubeconfig", server.kubeconfig, "--cache-dir", kubectl.cacheDir, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, HOME: kubectl.cacheDir } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end("from v1.20\n");
    });
    assert.deepEqual(await run(["exec", "shell", "--", "echo", "hello"]), { code: 0, stdout: "hello\n", stderr: "" });
    const failed = await run(["exec", "shell", "--", "sh", "-c", "exit 5"]);
    assert.equal(failed.code, 5);
    assert.match(failed.stderr, /command terminated with exit code 5/);
    assert.equal((await run(["exec", "-i", "shell", "--", "cat"])).stdout, "from v1.20\n");
    const [webPort, local] = await Promise.all([freePort(), freePort()]);
    writeFileSync(join(scratch, "index.html"), "old client\n");
    await kubectl.ok(["run", "oldweb", "--image=unused", "--command", "--", "busybox", "httpd", "-f", "-p", `127.0.0.1:${webPort}`, "-h", scratch]);
    await eventually(async () => (await phase("oldweb")) === "Running", 20_000, 200);
    const forward = await portForward(old!, server.kubeconfig, kubectl.cacheDir, ["pod/oldweb", `${local}:${webPort}`]);
    try {
      const body = await eventually(async () => { try { return await (await fetch(`http://127.0.0.1:${local}/`)).text(); } catch { return undefined; } }, 20_000, 200);
      assert.equal(body, "old client\n");
    } finally {
      forward.stop();
    }
  });

  it("speaks the older WebSocket exec protocols: channel.k8s.io, and base64 in text messages", async () => {
    const path = "/api/v1/namespaces/default/pods/shell/exec?command=sh&command=-c&command=echo%20hi%3B%20echo%20bad%20%3E%262%3B%20exit%204&stdout=true&stderr=true";
    const binary = await session(webSocket(server.kubeconfig, path, ["channel.k8s.io"]));
    assert.equal(binary.protocol, "channel.k8s.io");
    const byChannel = (ms: Array<{ data: Buffer }>, ch: number) => Buffer.concat(ms.filter((m) => m.data[0] === ch).map((m) => m.data.subarray(1))).toString();
    assert.equal(byChannel(binary.messages, 1), "hi\n");
    assert.equal(byChannel(binary.messages, 2), "bad\n");
    // Before v4 the error channel carries the failure's message, not a Status.
    assert.match(byChannel(binary.messages, 3), /^command terminated with non-zero exit code: .*exit code 4$/);
    const text = await session(webSocket(server.kubeconfig, path, ["base64.channel.k8s.io"]));
    assert.equal(text.protocol, "base64.channel.k8s.io");
    assert.ok(text.messages.every((m) => !m.binary));
    const decoded = (ch: number) => text.messages.filter((m) => m.data.toString()[0] === String(ch)).map((m) => Buffer.from(m.data.toString().slice(1), "base64").toString()).join("");
    assert.equal(decoded(1), "hi\n");
    assert.equal(decoded(2), "bad\n");
    const v4 = await session(webSocket(server.kubeconfig, path, ["v4.base64.channel.k8s.io"]));
    const status = JSON.parse(v4.messages.filter((m) => m.data.toString()[0] === "3").map((m) => Buffer.from(m.data.toString().slice(1), "base64").toString()).join(""));
    assert.equal(status.reason, "NonZeroExitCode");
    assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "4" }]);
    // stdin in base64 text messages, on channel 0.
    const echo = await session(webSocket(server.kubeconfig, "/api/v1/namespaces/default/pods/shell/exec?command=head&command=-n1&stdin=true&stdout=true", ["base64.channel.k8s.io"]), ["0" + Buffer.from("typed\n").toString("base64")]);
    assert.equal(echo.messages.filter((m) => m.data.toString()[0] === "1").map((m) => Buffer.from(m.data.toString().slice(1), "base64").toString()).join(""), "typed\n");
  });

  it("takes a bearer token in a WebSocket subprotocol, as a browser offers it (no certificate, no header)", async () => {
    await kubectl.ok(["create", "serviceaccount", "console"]);
    await kubectl.ok(["create", "role", "console-exec", "--verb=get,create", "--resource=pods,pods/exec"]);
    await kubectl.ok(["create", "rolebinding", "console-exec", "--role=console-exec", "--serviceaccount=default:console"]);
    const token = (await kubectl.ok(["create", "token", "console"])).trim();
    const cluster = parseYaml(readFileSync(server.kubeconfig, "utf8")).clusters[0].cluster;
    const browser = (t: string) => new WebSocket(cluster.server.replace(/^https/, "wss") + "/api/v1/namespaces/default/pods/shell/exec?command=id&command=-un&stdout=true",
      ["v4.channel.k8s.io", "base64url.bearer.authorization.k8s.io." + Buffer.from(t).toString("base64url")], { ca: Buffer.from(cluster["certificate-authority-data"], "base64") });
    const done = await eventually(async () => { try { return await session(browser(token)); } catch { return undefined; } }, 10_000, 200);
    // The server answers with the channel protocol: the token is not a protocol it chose.
    assert.equal(done!.protocol, "v4.channel.k8s.io");
    const status = JSON.parse(Buffer.concat(done!.messages.filter((m) => m.data[0] === 3).map((m) => m.data.subarray(1))).toString());
    assert.equal(status.status, "Success");
    assert.ok(done!.messages.some((m) => m.data[0] === 1), "the command's output came back");
    const wrong = browser(token.slice(0, -4) + "AAAA");
    assert.equal(await new Promise<number>((resolve) => wrong.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0))), 401);
    await kubectl.ok(["delete", "rolebinding", "console-exec"]);
    await kubectl.ok(["delete", "role", "console-exec"]);
  });

  it("streams pods/log over WebSocket, binary.k8s.io and base64.binary.k8s.io", async () => {
    await kubectl.ok(["run", "talker", "--image=unused", "--command", "--", "sh", "-c", "echo first; echo second; sleep 600"]);
    await eventually(async () => (await kubectl.ok(["logs", "talker"])) === "first\nsecond\n", 20_000, 200);
    const binary = await session(webSocket(server.kubeconfig, "/api/v1/namespaces/default/pods/talker/log", ["binary.k8s.io"]));
    assert.equal(binary.protocol, "binary.k8s.io");
    assert.equal(Buffer.concat(binary.messages.map((m) => m.data)).toString(), "first\nsecond\n");
    const text = await session(webSocket(server.kubeconfig, "/api/v1/namespaces/default/pods/talker/log?tailLines=1", ["base64.binary.k8s.io"]));
    assert.equal(text.protocol, "base64.binary.k8s.io");
    assert.equal(text.messages.map((m) => Buffer.from(m.data.toString(), "base64").toString()).join(""), "second\n");
    // Errors come before the upgrade, as a Status.
    const missing = webSocket(server.kubeconfig, "/api/v1/namespaces/default/pods/nobody/log", ["binary.k8s.io"]);
    const refused = await new Promise<number>((resolve) => missing.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(refused, 404);
  });
});
