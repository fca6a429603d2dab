/**
 * The proxy subresource as a user drives it with the real kubectl
 * (`kubectl get --raw`, `kubectl create --raw`, `kubectl proxy`): a pod that
 * serves HTTP and HTTPS reached by port number and name, through its Service,
 * the node's kubelet, links and redirects made to point through the proxy, a
 * WebSocket upgrade, RBAC on pods/proxy, and the API server's credentials
 * kept from the backend. On the process runtime, whose pods share the
 * server's loopback (see src/apiserver/proxy/README.md).
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { selfSignedCertificate } from "../../../src/pki/index.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { tokenKubeconfig } from "../../helpers/users.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the echo server's JSON

const echoServer = fileURLToPath(new URL("./echo-server.js", import.meta.url));

describe("the proxy subresource", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let port: number;
  let tlsPort: number;
  /** Declared by the pod, served by nothing. */
  let idlePort: number;
  let tls: { ca: string; cert: string; key: string };
  const scratch = mkdtempSync(join(tmpdir(), "skiff-proxy-"));
  const raw = async (path: string, as = kubectl): Promise<Json> => JSON.parse(await as.ok(["get", "--raw", path]));
  const podPath = (id: string) => `/api/v1/namespaces/default/pods/${id}/proxy`;
  /** A request to the API server as the admin, as it came back (no redirect followed). */
  const https = (path: string, headers: Record<string, string> = {}) => new Promise<{ status: number; headers: Json; body: string }>((resolve, reject) => {
    const u = new URL(server.url);
    const req = request({ host: u.hostname, port: u.port, path, headers, ...tls }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.once("error", reject);
    req.end();
  });

  before(async () => {
    server = await startServer({ runtime: "process", args: ["--kubelet-port", "0", "--node-name", "proxy-node"] });
    kubectl = kubectlFor(server.kubeconfig);
    const dir = join(server.dataDir, "tls");
    tls = { ca: readFileSync(join(dir, "ca.crt"), "utf8"), cert: readFileSync(join(dir, "admin.crt"), "utf8"), key: readFileSync(join(dir, "admin.key"), "utf8") };
    port = await freePort();
    tlsPort = await freePort();
    idlePort = await freePort();
    const own = await selfSignedCertificate("echo");
    writeFileSync(join(scratch, "echo.crt"), own.cert);
    writeFileSync(join(scratch, "echo.key"), own.key);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "proxy-node"])), 30_000, 200);
    await kubectl.ok(["apply", "-f", "-"], { input: `apiVersion: v1
kind: Pod
metadata: {name: echo, labels: {app: echo}}
spec:
  containers:
  - name: echo
    image: unused
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(echoServer)}, "${port}", "${tlsPort}", ${JSON.stringify(join(scratch, "echo.crt"))}, ${JSON.stringify(join(scratch, "echo.key"))}]
    ports: [{name: http, containerPort: ${port}}, {name: https, containerPort: ${tlsPort}}, {name: idle, containerPort: ${idlePort}}]
    readinessProbe: {httpGet: {path: /healthz, port: ${port}}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: web, port: 80, targetPort: http}, {name: tls, port: 443, targetPort: https}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
` });
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/echo", "--timeout=60s"]);
    await eventually(async () => JSON.parse(await kubectl.ok(["get", "endpoints", "echo", "-o", "json"])).subsets?.[0]?.addresses?.length === 1, 20_000, 200);
  });

  after(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("reaches a pod by port number and by port name, with the path and query", async () => {
    const got = await raw(`${podPath(`echo:${port}`)}/hello/world?x=1&y=two`);
    assert.equal(got.method, "GET");
    assert.equal(got.url, "/hello/world?x=1&y=two");
    assert.equal(got.headers["x-forwarded-uri"], `${podPath(`echo:${port}`)}/hello/world`);
    assert.equal((await raw(`${podPath("echo:http")}/`)).url, "/");
    // Without a port: the pod's first declared one.
    assert.equal((await raw(`${podPath("echo")}/first`)).url, "/first");
  });

  it("speaks https to the pod when asked, by number or name", async () => {
    const got = await raw(`${podPath(`https:echo:${tlsPort}`)}/secure`);
    assert.deepEqual([got.url, got.tls], ["/secure", true]);
    assert.equal((await raw(`${podPath("https:echo:https")}/`)).tls, true);
  });

  it("redirects the backend's root without its slash to it, as upstream", async () => {
    const res = await https(podPath(`echo:${port}`));
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, `${podPath(`echo:${port}`)}/`);
    // kubectl follows it.
    assert.equal((await raw(podPath(`echo:${port}`))).url, "/");
  });

  it("passes other methods and bodies through", async () => {
    writeFileSync(join(scratch, "body.json"), '{"hello":"backend"}');
    const created = JSON.parse(await kubectl.ok(["create", "--raw", `${podPath("echo:http")}/submit?dry=1`, "-f", join(scratch, "body.json")]));
    assert.deepEqual([created.method, created.url, created.body], ["POST", "/submit?dry=1", '{"hello":"backend"}']);
    const replaced = JSON.parse(await kubectl.ok(["replace", "--raw", `${podPath("echo:http")}/thing`, "-f", join(scratch, "body.json")]));
    assert.deepEqual([replaced.method, replaced.body], ["PUT", '{"hello":"backend"}']);
    const deleted = JSON.parse(await kubectl.ok(["delete", "--raw", `${podPath("echo:http")}/thing`]));
    assert.equal(deleted.method, "DELETE");
  });

  it("reaches a Service's ready endpoint by port number or name, and says when there is none", async () => {
    const base = "/api/v1/namespaces/default/services";
    assert.equal((await raw(`${base}/echo:80/proxy/via-number`)).url, "/via-number");
    assert.equal((await raw(`${base}/echo:web/proxy/via-name`)).url, "/via-name");
    assert.equal((await raw(`${base}/https:echo:tls/proxy/`)).tls, true);
    const none = await kubectl.run(["get", "--raw", `${base}/nobody:80/proxy/`]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /Error from server \(ServiceUnavailable\): no endpoints available for service "nobody"/);
    const missing = await kubectl.run(["get", "--raw", `${base}/echo:8080/proxy/`]);
    assert.match(missing.stderr, /no service port 8080 found for service "echo"/);
  });

  it("reaches the node's kubelet", async () => {
    assert.equal(await kubectl.ok(["get", "--raw", "/api/v1/nodes/proxy-node/proxy/healthz"]), "ok");
    const pods = await raw("/api/v1/nodes/proxy-node/proxy/pods");
    assert.equal(pods.kind, "PodList");
    assert.ok(pods.items.some((p: Json) => p.metadata.name === "echo"));
  });

  it("makes the backend's links and redirects point through the proxy", async () => {
    const prefix = podPath(`echo:${port}`);
    assert.equal(await kubectl.ok(["get", "--raw", `${prefix}/page`]), `<a href="${prefix}/rewriteme">test</a>`);
    assert.equal(await kubectl.ok(["get", "--raw", `${prefix}/page.gz`]), `<a href="${prefix}/rewriteme">test</a>`);
    const redirect = await https(`${prefix}/redirect`);
    assert.deepEqual([redirect.status, redirect.headers.location], [302, `${prefix}/target`]);
    const cors = await https(`${prefix}/cors`);
    assert.deepEqual([cors.headers["x-echo"], cors.headers["access-control-allow-origin"]], ["cors", undefined]);
  });

  it("keeps the client's credentials for the API server from the backend", async () => {
    const token = readFileSync(join(server.dataDir, "tls", "admin.token"), "utf8").trim();
    const bearer = kubectlFor(tokenKubeconfig({ name: "bearer", token, dir: scratch, server: server.url, caFile: join(server.dataDir, "tls", "ca.crt") }));
    const got = await raw(`${podPath("echo:http")}/who`, bearer);
    assert.equal(got.url, "/who");
    assert.equal(got.headers.authorization, undefined);
    const impersonated = await https(`${podPath("echo:http")}/as`, { "Impersonate-User": "system:admin", "Impersonate-Group": "system:masters" });
    assert.equal(impersonated.status, 200, impersonated.body);
    assert.equal(JSON.parse(impersonated.body).headers["impersonate-user"], undefined);
  });

  it("proxies a WebSocket upgrade", async () => {
    const u = new URL(server.url);
    const ws = new WebSocket(`wss://${u.host}${podPath("echo:http")}/socket?x=1`, { ...tls });
    const message = await new Promise<Json>((resolve, reject) => {
      ws.once("message", (data) => resolve(JSON.parse(String(data))));
      ws.once("error", reject);
    });
    ws.terminate();
    assert.equal(message.url, "/socket?x=1");
    assert.equal(message.headers.upgrade, "websocket");
  });

  it("holds users to pods/proxy with the method's verb", async () => {
    await kubectl.ok(["create", "serviceaccount", "viewer"]);
    await kubectl.ok(["create", "serviceaccount", "prober"]);
    await kubectl.ok(["create", "role", "pod-viewer", "--verb=get,list", "--resource=pods"]);
    await kubectl.ok(["create", "role", "pod-prober", "--verb=get", "--resource=pods/proxy"]);
    await kubectl.ok(["create", "rolebinding", "viewer", "--role=pod-viewer", "--serviceaccount=default:viewer"]);
    await kubectl.ok(["create", "rolebinding", "prober", "--role=pod-prober", "--serviceaccount=default:prober"]);
    const as = async (sa: string) => kubectlFor(tokenKubeconfig({
      name: sa, token: (await kubectl.ok(["create", "token", sa])).trim(), dir: scratch, server: server.url, caFile: join(server.dataDir, "tls", "ca.crt"),
    }));
    const viewer = await as("viewer");
    const denied = await viewer.run(["get", "--raw", `${podPath("echo:http")}/`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Error from server \(Forbidden\): pods "echo:http" is forbidden: User "system:serviceaccount:default:viewer" cannot get resource "pods\/proxy" in API group "" in the namespace "default"/);
    const prober = await as("prober");
    assert.equal((await raw(`${podPath("echo:http")}/ok`, prober)).url, "/ok");
    writeFileSync(join(scratch, "empty.json"), "{}");
    const post = await prober.run(["create", "--raw", `${podPath("echo:http")}/`, "-f", join(scratch, "empty.json")]);
    assert.match(post.stderr, /cannot create resource "pods\/proxy"/);
    const node = await prober.run(["get", "--raw", "/api/v1/nodes/proxy-node/proxy/healthz"]);
    assert.match(node.stderr, /cannot get resource "nodes\/proxy" in API group "" at the cluster scope/);
  });

  it("says when nothing answers at the pod's port", async () => {
    const res = await kubectl.run(["get", "--raw", `${podPath("echo:idle")}/`]);
    assert.match(res.stderr, new RegExp(`Error from server \\(ServiceUnavailable\\): error trying to reach service: dial tcp 127\\.0\\.0\\.1:${idlePort}: connect: connection refused`));
  });

  it("refuses loopback ports a pod does not declare", async () => {
    const undeclared = await freePort();
    const res = await kubectl.run(["get", "--raw", `${podPath(`echo:${undeclared}`)}/`]);
    assert.match(res.stderr, /Error from server \(BadRequest\): address not allowed/);
  });

  it("serves through kubectl proxy", async () => {
    const proxy = spawn("/usr/bin/kubectl", ["--kubeconfig", server.kubeconfig, "proxy", "--port=0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = "";
        proxy.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /Starting to serve on (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        proxy.once("exit", (code) => reject(new Error(`kubectl proxy exited ${code}`)));
      });
      const curl = (path: string) => new Promise<string>((resolve, reject) => {
        const c = spawn("curl", ["-sS", "--max-time", "20", `http://${address}${path}`], { stdio: ["ignore", "pipe", "pipe"] });
        let body = "";
        c.stdout.on("data", (d: Buffer) => (body += d.toString()));
        c.once("exit", (code) => (code === 0 ? resolve(body) : reject(new Error(`curl exited ${code}`))));
      });
      const got = JSON.parse(await curl(`${podPath("echo:http")}/through?kubectl=proxy`)) as Json;
      assert.equal(got.url, "/through?kubectl=proxy");
      assert.equal(got.headers.authorization, undefined);
      assert.equal(await curl(`${podPath("echo:http")}/page`), `<a href="${podPath("echo:http")}/rewriteme">test</a>`);
      assert.equal(await curl("/api/v1/nodes/proxy-node/proxy/healthz"), "ok");
    } finally {
      proxy.kill("SIGTERM");
    }
  });

  it("lists the proxy subresources in discovery", async () => {
    const names = (await raw("/api/v1")).resources.map((r: Json) => r.name);
    for (const n of ["pods/proxy", "services/proxy", "nodes/proxy"]) assert.ok(names.includes(n), n);
  });
});
