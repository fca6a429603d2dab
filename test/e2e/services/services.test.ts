/**
 * Services as a user reaches them: cluster DNS names, ClusterIPs balanced over
 * ready pods, NodePorts on the node address, session affinity, and nothing
 * for an unallocated service address. Real containers (`--runtime cri`), so
 * root and Debian's containerd, runc, CNI plugins and nftables are needed.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { get } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { nftAvailable, TABLE } from "../../../src/proxy/nftables-proxier.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason() ?? (nftAvailable() ? null : "nft is not installed");
const BRIDGE = "skiffsvc0";

const web = (name: string, replicas: number, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: ${BUSYBOX_IMAGE}
        command: ["sh", "-c", "mkdir -p /www; hostname > /www/index.html; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]
        readinessProbe: {exec: {command: ["cat", "/tmp/ready"]}, periodSeconds: 1}
${extra}`;

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => { body += d.toString(); });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

describe("services, cluster DNS and the proxy", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let nodeIP = "";
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-services-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const apply = (yaml: string) => kubectl.ok(["apply", "-f", "-"], { input: yaml });
  /** Runs a shell command in the client pod. */
  const sh = (script: string) => kubectl.run(["exec", "client", "--", "sh", "-c", script]);
  const hits = async (url: string, n: number) => {
    const r = await sh(`for i in $(seq 1 ${n}); do wget -qO- ${url}; done`);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split("\n").filter(Boolean);
  };
  const readyPods = async (app: string) => ((await json(["get", "pods", "-l", `app=${app}`])).items as Json[])
    .filter((p) => p.status.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True") && !p.metadata.deletionTimestamp).map((p) => p.metadata.name as string);

  before(async () => {
    server = await startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", "svc-node"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "svc-node"])), 60_000, 250);
    nodeIP = (await json(["get", "node", "svc-node"])).status.addresses.find((a: Json) => a.type === "InternalIP").address;
    await apply(web("web", 3));
    await kubectl.ok(["expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort"]);
    await kubectl.ok(["run", "client", `--image=${BUSYBOX_IMAGE}`, "--", "sleep", "3600"]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=90s"]);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/client", "--timeout=60s"]);
  });
  after(async () => {
    await server?.stop();
    execFileSync(process.execPath, [join(repoRoot, "bin/skiff.js"), "killall", "--data-dir", dataDir, "--pod-bridge", BRIDGE], { stdio: "ignore" });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("balances requests to a Service's name over all its ready pods", async () => {
    const pods = await readyPods("web");
    const seen = await hits("http://web.default.svc.cluster.local/", 30);
    assert.equal(seen.length, 30);
    assert.deepEqual([...new Set(seen)].sort(), pods.sort(), "every replica answered");
    assert.deepEqual([...new Set(await hits("http://web/", 6))].every((h) => pods.includes(h)), true, "the search path finds the short name");
  });

  it("sends traffic to new pods once they are Ready, and none to a pod that turns not Ready", async () => {
    await kubectl.ok(["scale", "deployment/web", "--replicas=5"]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=90s"]);
    const five = await readyPods("web");
    assert.equal(five.length, 5);
    await eventually(async () => new Set(await hits("http://web/", 40)).size === 5, 20_000, 500);

    const [sick] = five;
    await kubectl.ok(["exec", sick!, "--", "rm", "/tmp/ready"]);
    await eventually(async () => !(await readyPods("web")).includes(sick!), 20_000, 250);
    await eventually(async () => !(await hits("http://web/", 30)).includes(sick!), 10_000, 250);
    await kubectl.ok(["exec", sick!, "--", "touch", "/tmp/ready"]);
  });

  it("answers a NodePort on the node address", async () => {
    const svc = await json(["get", "service", "web"]);
    const port = svc.spec.ports[0].nodePort;
    assert.ok(port >= 30000 && port <= 32767);
    const pods = await readyPods("web");
    assert.ok(pods.includes((await httpGet(`http://${nodeIP}:${port}/`)).trim()));
    const fromPod = await hits(`http://${nodeIP}:${port}/`, 1);
    assert.ok(pods.includes(fromPod[0]!));
  });

  it("exposes a LoadBalancer Service on the node address and reports it in its status", async () => {
    await kubectl.ok(["expose", "deployment", "web", "--name=web-lb", "--type=LoadBalancer", "--port=8081", "--target-port=8080"]);
    const svc = await eventually(async () => { const s = await json(["get", "service", "web-lb"]); return s.status?.loadBalancer?.ingress?.length ? s : undefined; }, 20_000, 200);
    assert.deepEqual(svc!.status.loadBalancer.ingress.map((i: Json) => i.ip), [nodeIP]);
    assert.match(await kubectl.ok(["get", "service", "web-lb"]), new RegExp(`web-lb\\s+LoadBalancer\\s+\\S+\\s+${nodeIP.replace(/\./g, "\\.")}\\s+8081:3\\d{4}/TCP`));
    const pods = await readyPods("web");
    const body = await eventually(async () => (await httpGet(`http://${nodeIP}:8081/`)).trim(), 10_000, 200);
    assert.ok(pods.includes(body!));
  });

  it("keeps a client on one pod with sessionAffinity ClientIP", async () => {
    await kubectl.ok(["patch", "service", "web", "-p", '{"spec":{"sessionAffinity":"ClientIP"}}']);
    await new Promise((r) => setTimeout(r, 500));
    const seen = await hits("http://web/", 15);
    assert.equal(new Set(seen).size, 1, `one pod answered all: ${[...new Set(seen)]}`);
    await kubectl.ok(["patch", "service", "web", "-p", '{"spec":{"sessionAffinity":"None"}}']);
  });

  it("resolves headless Services, StatefulSet pods and ExternalNames, and answers NXDOMAIN otherwise", async () => {
    await apply(`apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: ${BUSYBOX_IMAGE}, command: ["sleep", "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: search}
spec: {type: ExternalName, externalName: search.example.com}
`);
    await kubectl.ok(["rollout", "status", "statefulset/db", "--timeout=90s"]);
    const pods = (await json(["get", "pods", "-l", "app=db"])).items as Json[];
    const ips = pods.map((p) => p.status.podIP as string).sort();
    const lookup = async (name: string, type = "a") => {
      const r = await sh(`nslookup -type=${type} ${name} 10.96.0.10`);
      return r.stdout + r.stderr;
    };
    const headless = await lookup("db.default.svc.cluster.local");
    for (const ip of ips) assert.match(headless, new RegExp(`Address: ${ip.replace(/\./g, "\\.")}`));
    const db0 = pods.find((p) => p.metadata.name === "db-0")!;
    assert.match(await lookup("db-0.db.default.svc.cluster.local"), new RegExp(`Address: ${db0.status.podIP.replace(/\./g, "\\.")}`));
    assert.match(await lookup("_http._tcp.db.default.svc.cluster.local", "srv"), /service = 0 50 8080 db-[01]\.db\.default\.svc\.cluster\.local/);
    assert.match(await lookup("search.default.svc.cluster.local", "cname"), /canonical name = search\.example\.com/);
    const svcIP = (await json(["get", "service", "web"])).spec.clusterIP as string;
    assert.match(await lookup("web.default.svc.cluster.local"), new RegExp(`Address: ${svcIP.replace(/\./g, "\\.")}`));
    assert.match(await lookup(svcIP.split(".").reverse().join(".") + ".in-addr.arpa", "ptr"), /name = web\.default\.svc\.cluster\.local/);
    assert.match(await lookup("nothere.default.svc.cluster.local"), /NXDOMAIN/);
  });

  it("refuses an unallocated service address at once instead of routing it out", async () => {
    const started = Date.now();
    const r = await sh("wget -qO- http://10.96.250.250/");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused/);
    assert.ok(Date.now() - started < 5000);
  });

  it("removes its rules with skiff killall", async () => {
    assert.equal(spawnSync("nft", ["list", "table", "ip", TABLE]).status, 0);
    await server.stop();
    execFileSync(process.execPath, [join(repoRoot, "bin/skiff.js"), "killall", "--data-dir", dataDir, "--pod-bridge", BRIDGE], { stdio: "ignore" });
    assert.notEqual(spawnSync("nft", ["list", "table", "ip", TABLE]).status, 0, "the proxy's table is gone");
    assert.notEqual(spawnSync("ip", ["link", "show", BRIDGE]).status, 0, "the pod bridge is gone");
  });
});
