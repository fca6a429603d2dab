/**
 * The kubelet's HTTPS API as upstream's kubelet guards it with
 * `--anonymous-auth=false --authorization-mode=Webhook --client-ca-file`,
 * tried by hand against its port: no credentials is a 401, a user without
 * RBAC on the node's subresource a 403 with upstream's message, a
 * ClusterRole on nodes/stats or nodes/proxy lets through exactly that, a
 * service account's token is reviewed by the API server, and kubectl's own
 * ways through the API server (logs, exec, node proxy, metrics) keep working
 * under the API server's own kubelet client identity, the resource and probe
 * metrics included. The process runtime serves the same kubelet API as the
 * cri runtime, without containerd.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { userFromCsr } from "../../helpers/users.js";

const NODE = "guarded-node";

interface Answer { code: number; body: string }

describe("the kubelet API's authentication and authorization", { skip: existsSync("/bin/busybox") ? false : "busybox is not installed" }, () => {
  let server: RunningServer;
  let admin: ReturnType<typeof kubectlFor>;
  let scratch: string;
  let port: number;
  let ca: string;

  /** A request straight to the kubelet's port, as curl would make it, with the credentials given. */
  const kubelet = (path: string, creds: { cert?: string; key?: string; token?: string } = {}, method = "GET"): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request({
        host: "127.0.0.1", port, path, method, ca, cert: creds.cert, key: creds.key,
        headers: creds.token ? { authorization: `Bearer ${creds.token}` } : {},
      }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ code: res.statusCode!, body }));
      });
      req.once("error", reject);
      req.end();
    });
  const user = (name: string) => ({ cert: readFileSync(join(scratch, `${name}.crt`), "utf8"), key: readFileSync(join(scratch, `${name}.key`), "utf8") });

  before(async () => {
    server = await startServer({ runtime: "process", args: ["--kubelet-port", "0", "--node-name", NODE] });
    admin = kubectlFor(server.kubeconfig);
    scratch = mkdtempSync(join(tmpdir(), "skiff-kubelet-auth-"));
    ca = readFileSync(join(server.dataDir, "tls", "ca.crt"), "utf8");
    await eventually(async () => /\sReady\s/.test(await admin.ok(["get", "node", NODE])), 30_000, 200);
    port = JSON.parse(await admin.ok(["get", "node", NODE, "-o", "json"])).status.daemonEndpoints.kubeletEndpoint.Port;
    for (const name of ["kate", "sam", "paul"]) await userFromCsr(admin, { name, dir: scratch, server: server.url, caFile: join(server.dataDir, "tls", "ca.crt") });
    await admin.ok(["run", "shell", "--image=unused", "--command", "--", "sh", "-c", "echo started; sleep 600"]);
    // A container that spends some CPU of its own (the shell's loop, not a child's), with a readiness probe.
    await admin.ok(["apply", "-f", "-"], { input: `apiVersion: v1
kind: Pod
metadata: {name: busy}
spec:
  containers:
  - name: busy
    image: unused
    command: ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 600"]
    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
` });
    await eventually(async () => JSON.parse(await admin.ok(["get", "pod", "shell", "-o", "json"])).status.phase === "Running", 20_000, 200);
  });

  after(async () => {
    await server?.[Symbol.asyncDispose]();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("answers 401 Unauthorized without credentials, for every path", async () => {
    for (const path of ["/pods", "/healthz", "/stats/summary", "/containerLogs/default/shell/shell", "/no-such-path"]) {
      assert.deepEqual(await kubelet(path), { code: 401, body: "Unauthorized" }, path);
    }
    assert.deepEqual(await kubelet("/pods", { token: "not-a-token" }), { code: 401, body: "Unauthorized" });
  });

  it("answers 401 to a certificate the cluster CA did not sign", async () => {
    const key = join(scratch, "self.key");
    const cert = join(scratch, "self.crt");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=admin/O=system:masters", "-days", "1",
      "-addext", "extendedKeyUsage=clientAuth"], { stdio: "ignore" });
    assert.deepEqual(await kubelet("/pods", { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") }), { code: 401, body: "Unauthorized" });
  });

  it("answers 401 to a certificate of the cluster CA that is not for client authentication", async () => {
    // The API server's serving certificate (CN=kube-apiserver, server auth only), as upstream's x509 authenticator refuses it.
    const serving = { cert: readFileSync(join(server.dataDir, "tls", "serving.crt"), "utf8"), key: readFileSync(join(server.dataDir, "tls", "serving.key"), "utf8") };
    assert.deepEqual(await kubelet("/pods", serving), { code: 401, body: "Unauthorized" });
  });

  it("refuses a user without RBAC on the node with upstream's Forbidden message", async () => {
    assert.deepEqual(await kubelet("/pods", user("kate")), { code: 403, body: "Forbidden (user=kate, verb=get, resource=nodes, subresource=proxy)" });
    assert.deepEqual(await kubelet("/stats/summary", user("kate")), { code: 403, body: "Forbidden (user=kate, verb=get, resource=nodes, subresource=stats)" });
    assert.deepEqual(await kubelet("/exec/default/shell/shell?command=id", user("kate"), "POST"), { code: 403, body: "Forbidden (user=kate, verb=create, resource=nodes, subresource=proxy)" });
  });

  it("lets a ClusterRole on nodes/stats read the stats and nothing else", async () => {
    await admin.ok(["create", "clusterrole", "node-stats-reader", "--verb=get", "--resource=nodes/stats"]);
    await admin.ok(["create", "clusterrolebinding", "sam-reads-stats", "--clusterrole=node-stats-reader", "--user=sam"]);
    const stats = await kubelet("/stats/summary", user("sam"));
    assert.equal(stats.code, 200, stats.body);
    assert.equal(JSON.parse(stats.body).node.nodeName, NODE);
    assert.deepEqual(await kubelet("/pods", user("sam")), { code: 403, body: "Forbidden (user=sam, verb=get, resource=nodes, subresource=proxy)" });
    assert.deepEqual(await kubelet("/metrics/resource", user("sam")), { code: 403, body: "Forbidden (user=sam, verb=get, resource=nodes, subresource=metrics)" });
    assert.deepEqual(await kubelet("/metrics/cadvisor", user("sam")), { code: 403, body: "Forbidden (user=sam, verb=get, resource=nodes, subresource=metrics)" });
    // Dot segments are resolved before the request is authorized, so they lead nowhere that stats does not cover.
    assert.deepEqual(await kubelet("/stats/%2e%2e/pods", user("sam")), { code: 403, body: "Forbidden (user=sam, verb=get, resource=nodes, subresource=proxy)" });
    assert.deepEqual(await kubelet("/stats/../pods", user("sam")), { code: 403, body: "Forbidden (user=sam, verb=get, resource=nodes, subresource=proxy)" });
  });

  it("lets a ClusterRole on nodes/proxy list the node's pods and read logs", async () => {
    await admin.ok(["create", "clusterrole", "node-proxy-reader", "--verb=get", "--resource=nodes/proxy"]);
    await admin.ok(["create", "clusterrolebinding", "paul-proxies", "--clusterrole=node-proxy-reader", "--user=paul"]);
    const pods = await kubelet("/pods", user("paul"));
    assert.equal(pods.code, 200, pods.body);
    assert.ok(JSON.parse(pods.body).items.some((p: { metadata: { name: string } }) => p.metadata.name === "shell"));
    assert.deepEqual(await kubelet("/containerLogs/default/shell/shell", user("paul")), { code: 200, body: "started\n" });
    // get is not create: exec by POST (SPDY) needs create on nodes/proxy.
    assert.deepEqual(await kubelet("/exec/default/shell/shell?command=id", user("paul"), "POST"), { code: 403, body: "Forbidden (user=paul, verb=create, resource=nodes, subresource=proxy)" });
  });

  it("reviews a service account's token with the API server (TokenReview) and authorizes the account", async () => {
    await admin.ok(["create", "serviceaccount", "scraper"]);
    const token = (await admin.ok(["create", "token", "scraper"])).trim();
    assert.deepEqual(await kubelet("/stats/summary", { token }), { code: 403, body: "Forbidden (user=system:serviceaccount:default:scraper, verb=get, resource=nodes, subresource=stats)" });
    await admin.ok(["create", "clusterrolebinding", "scraper-proxies", "--clusterrole=node-proxy-reader", "--serviceaccount=default:scraper"]);
    const pods = await kubelet("/pods", { token });
    assert.equal(pods.code, 200, pods.body);
    assert.equal(JSON.parse(pods.body).kind, "PodList");
    assert.deepEqual(await kubelet("/pods", { token: token.slice(0, -4) + "AAAA" }), { code: 401, body: "Unauthorized" });
  });

  it("calls kubelets as kube-apiserver-kubelet-client, which the kubelet authorizes like anyone else", async () => {
    // The API server's first calls to this kubelet: without its binding the kubelet refuses them (it shows no admin's certificate),
    // and kubectl shows the refusal as upstream's API server passes it on.
    await admin.ok(["delete", "clusterrolebinding", "kube-apiserver-kubelet-admin"]);
    const logs = await admin.run(["logs", "shell"]);
    assert.notEqual(logs.code, 0);
    assert.match(logs.stderr, /Error from server \(Forbidden\): Forbidden \(user=kube-apiserver-kubelet-client, verb=get, resource=nodes, subresource=proxy\) \( pods\/log shell\)/);
    const exec = await admin.run(["exec", "shell", "--", "echo", "inside"], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" } });
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /Forbidden \(user=kube-apiserver-kubelet-client, verb=create, resource=nodes, subresource=proxy\)/);
    await admin.ok(["create", "clusterrolebinding", "kube-apiserver-kubelet-admin", "--clusterrole=system:kubelet-api-admin", "--user=kube-apiserver-kubelet-client"]);
  });

  it("keeps kubectl logs, exec, the node proxy and the metrics API working through the API server", async () => {
    // The kubelet keeps a refusal 30 s (upstream's cacheUnauthorizedTTL), so the restored binding shows within that.
    assert.equal(await eventually(async () => (await admin.run(["logs", "shell"])).stdout || undefined, 60_000, 1_000), "started\n");
    assert.equal(await admin.ok(["exec", "shell", "--", "echo", "inside"]), "inside\n");
    assert.equal(await admin.ok(["get", "--raw", `/api/v1/nodes/${NODE}/proxy/healthz`]), "ok");
    assert.equal(JSON.parse(await admin.ok(["get", "--raw", `/api/v1/nodes/${NODE}/proxy/stats/summary`])).node.nodeName, NODE);
    const metrics = await eventually(async () => {
      const r = await admin.run(["get", "--raw", `/apis/metrics.k8s.io/v1beta1/nodes/${NODE}`]);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    }, 20_000, 500);
    assert.equal(metrics.metadata.name, NODE);
  });

  it("serves /metrics/resource, /metrics/probes and /metrics/cadvisor through the node proxy, a running container's CPU and a passing readiness probe", async () => {
    const raw = (path: string) => admin.ok(["get", "--raw", `/api/v1/nodes/${NODE}/proxy/${path}`]);
    /** A series' sample as [line, value, timestamp], by its name and labels as written. */
    const series = (text: string, head: string) => {
      const escaped = head.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
      return new RegExp(`^${escaped} (\\S+)(?: (\\d+))?$`, "m").exec(text);
    };
    const busy = 'container="busy",namespace="default",pod="busy"';
    // The kubelet samples stats every 10 s: the container shows from its first sample on.
    const resource = await eventually(async () => {
      const text = await raw("metrics/resource");
      const cpu = series(text, `container_cpu_usage_seconds_total{${busy}}`);
      return cpu && Number(cpu[1]) > 0 ? text : undefined;
    }, 30_000, 1_000) as string;
    const cpu = series(resource, `container_cpu_usage_seconds_total{${busy}}`)!;
    assert.ok(Math.abs(Number(cpu[2]) - Date.now()) < 60_000, `the sample's timestamp is the stats' time, in ms: ${cpu[0]}`);
    assert.match(resource, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds$/m);
    assert.match(resource, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.ok(Number(series(resource, `container_memory_working_set_bytes{${busy}}`)![1]) > 0);
    const started = Number(series(resource, `container_start_time_seconds{${busy}}`)![1]);
    const podStarted = Date.parse(JSON.parse(await admin.ok(["get", "pod", "busy", "-o", "json"])).status.containerStatuses[0].state.running.startedAt);
    assert.ok(Math.abs(started * 1000 - podStarted) < 5_000, `container_start_time_seconds ${started} against startedAt ${podStarted}`);
    assert.ok(Number(series(resource, 'pod_cpu_usage_seconds_total{namespace="default",pod="busy"}')![1]) >= Number(cpu[1]));
    assert.ok(Number(series(resource, 'pod_memory_working_set_bytes{namespace="default",pod="busy"}')![1]) > 0);
    assert.ok(Number(series(resource, "node_cpu_usage_seconds_total")![1]) > 0);
    assert.ok(Number(series(resource, "node_memory_working_set_bytes")![1]) > 0);
    assert.equal(series(resource, "resource_scrape_error")![1], "0");

    const uid = JSON.parse(await admin.ok(["get", "pod", "busy", "-o", "json"])).metadata.uid as string;
    const readiness = `container="busy",namespace="default",pod="busy",pod_uid="${uid}",probe_type="Readiness"`;
    const probes = await eventually(async () => {
      const text = await raw("metrics/probes");
      return Number(series(text, `prober_probe_total{${readiness},result="successful"}`)?.[1] ?? 0) >= 2 ? text : undefined;
    }, 30_000, 1_000) as string;
    assert.match(probes, /^# TYPE prober_probe_total counter$/m);
    assert.equal(series(probes, `prober_probe_total{${readiness},result="failed"}`), null);
    assert.ok(Number(series(probes, 'prober_probe_duration_seconds_count{container="busy",namespace="default",pod="busy",probe_type="Readiness"}')![1]) >= 2);
    assert.ok(Number(series(probes, "process_start_time_seconds")![1]) > 0);
    assert.equal(JSON.parse(await admin.ok(["get", "pod", "busy", "-o", "json"])).status.containerStatuses[0].ready, true);

    // The process runtime's containers have no cgroups of their own: the path answers with the node's (the root's) and a scrape that worked.
    const cadvisor = await raw("metrics/cadvisor");
    assert.match(cadvisor, /^container_memory_usage_bytes\{container="",id="\/",image="",name="",namespace="",pod=""\} \d/m);
    assert.match(cadvisor, /^# HELP container_scrape_error 1 if there was an error while getting container metrics, 0 otherwise$/m);
    assert.match(cadvisor, /^container_scrape_error 0$/m);
  });

  it("gives the API server's kubelet client the kubelet API and nothing more", async () => {
    const can = async (...args: string[]) => (await admin.run(["auth", "can-i", ...args, "--as=kube-apiserver-kubelet-client"])).stdout.trim();
    assert.equal(await can("create", "nodes", "--subresource=proxy"), "yes");
    assert.equal(await can("get", "nodes", "--subresource=stats"), "yes");
    assert.equal(await can("get", "secrets", "-A"), "no");
    assert.equal(await can("create", "pods"), "no");
  });
});
