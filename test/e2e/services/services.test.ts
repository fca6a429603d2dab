/**
 * Services as a user reaches them: cluster DNS names, ClusterIPs balanced over
 * ready pods, NodePorts on the node address, session affinity, and nothing
 * for an unallocated service address. Real containers (`--runtime cri`), so
 * root and Debian's containerd, runc, CNI plugins and nftables are needed.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, get, type ServerResponse } from "node:http";
import { get as httpsGet } from "node:https";
import type { TLSSocket } from "node:tls";
import { connect, type Socket } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { nftAvailable, TABLE } from "../../../src/proxy/nftables-proxier.js";
import { selfSignedCertificate } from "../../../src/pki/index.js";
import WebSocket, { WebSocketServer } from "ws";
import { freePort } from "../../helpers/net.js";
import { samples, total } from "../../helpers/exposition.js";
import { eventually, exposeWebWithClient, kubectlFor } from "../../helpers/kubectl.js";
import { killall, removeNode, startServer, type RunningServer } from "../../helpers/skiff-server.js";

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
        command: ["sh", "-c", "mkdir -p /www/api; hostname > /www/index.html; hostname > /www/api/index.html; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]
        readinessProbe: {exec: {command: ["cat", "/tmp/ready"]}, periodSeconds: 1}
${extra}`;

function httpGet(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => { body += d.toString(); });
      res.on("end", () => resolve(res.statusCode === 200 ? body : `${res.statusCode} ${body}`));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

describe("services, cluster DNS and the proxy", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let nodeIP = "";
  let ingressPorts = { http: 0, https: 0 };
  let serverArgs: string[] = [];
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
    ingressPorts = { http: await freePort(), https: await freePort() };
    serverArgs = ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", "svc-node",
      "--ingress-http-port", String(ingressPorts.http), "--ingress-https-port", String(ingressPorts.https)];
    server = await startServer({ dataDir, runtime: "cri", args: serverArgs });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "svc-node"])), 60_000, 250);
    nodeIP = (await json(["get", "node", "svc-node"])).status.addresses.find((a: Json) => a.type === "InternalIP").address;
    await apply(web("web", 3));
    await exposeWebWithClient(kubectl, BUSYBOX_IMAGE);
  });
  after(() => removeNode(server, dataDir, BRIDGE));

  it("balances requests to a Service's name over all its ready pods", async () => {
    const pods = await readyPods("web");
    const seen = await hits("http://web.default.svc.cluster.local/", 30);
    assert.equal(seen.length, 30);
    assert.deepEqual([...new Set(seen)].sort(), pods.sort(), "every replica answered");
    assert.deepEqual([...new Set(await hits("http://web/", 6))].every((h) => pods.includes(h)), true, "the search path finds the short name");
    // Hairpin: a pod reaching itself through its own Service is answered (not dropped for its own source address).
    const self = pods[0]!;
    await eventually(async () => {
      const r = await kubectl.run(["exec", self, "--", "sh", "-c", "for i in $(seq 1 10); do wget -qO- http://web/ || exit 1; done"]);
      assert.equal(r.code, 0, `every request from ${self} through its Service was answered: ${r.stderr}`);
      return r.stdout.split("\n").includes(self) || undefined;
    }, 30_000, 100);
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
    // Leave all five Ready for the next test, which reads the ready set once and expects every answer from it.
    await eventually(async () => (await readyPods("web")).length === 5, 20_000, 250);
  });

  it("answers a NodePort on the node address, and the ClusterIP from the node itself", async () => {
    const svc = await json(["get", "service", "web"]);
    const port = svc.spec.ports[0].nodePort;
    assert.ok(port >= 30000 && port <= 32767);
    const pods = await readyPods("web");
    assert.ok(pods.includes((await httpGet(`http://${nodeIP}:${port}/`)).trim()));
    const fromPod = await hits(`http://${nodeIP}:${port}/`, 1);
    assert.ok(pods.includes(fromPod[0]!));
    assert.ok(pods.includes((await httpGet(`http://${svc.spec.clusterIP}/`)).trim()), "the node reaches the ClusterIP");
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
    // A pod's dashed address, as CoreDNS's `pods insecure`.
    assert.match(await lookup(`${db0.status.podIP.replace(/\./g, "-")}.default.pod.cluster.local`), new RegExp(`Address: ${db0.status.podIP.replace(/\./g, "\\.")}`));
    assert.match(await lookup("10-1-2-3.nothere.pod.cluster.local"), /NXDOMAIN/);
    assert.match(await lookup("_http._tcp.db.default.svc.cluster.local", "srv"), /service = 0 50 8080 db-[01]\.db\.default\.svc\.cluster\.local/);
    assert.match(await lookup("search.default.svc.cluster.local", "cname"), /canonical name = search\.example\.com/);
    const svcIP = (await json(["get", "service", "web"])).spec.clusterIP as string;
    assert.match(await lookup("web.default.svc.cluster.local"), new RegExp(`Address: ${svcIP.replace(/\./g, "\\.")}`));
    const aaaa = await lookup("web.default.svc.cluster.local", "aaaa");
    assert.doesNotMatch(aaaa, /NXDOMAIN|Address: /, "an IPv4 Service has no AAAA record, and its name exists");
    assert.match(await lookup(svcIP.split(".").reverse().join(".") + ".in-addr.arpa", "ptr"), /name = web\.default\.svc\.cluster\.local/);
    assert.match(await lookup("nothere.default.svc.cluster.local"), /NXDOMAIN/);
  });

  it("serves kube-proxy's and CoreDNS's families on the API server's /metrics and the kubelet's, counting the lookups and syncs above", async () => {
    // One more lookup of each kind, so that the counts below are this test's to expect whatever ran before.
    assert.equal((await sh("nslookup web.default.svc.cluster.local 10.96.0.10")).code, 0);
    const missing = await sh("nslookup nothere.default.svc.cluster.local 10.96.0.10");
    assert.match(missing.stdout + missing.stderr, /NXDOMAIN/);
    const scrapes = {
      apiserver: samples(await kubectl.ok(["get", "--raw", "/metrics"])),
      kubelet: samples(await kubectl.ok(["get", "--raw", "/api/v1/nodes/svc-node/proxy/metrics"])),
    };
    for (const [where, m] of Object.entries(scrapes)) {
      const dns = { server: `dns://${nodeIP}:53`, zone: ".", view: "" };
      assert.ok(total(m, "coredns_dns_requests_total", { ...dns, proto: "udp", family: "1", type: "A" }) > 0, `${where}: A queries over UDP`);
      assert.ok(total(m, "coredns_dns_responses_total", { ...dns, rcode: "NOERROR", plugin: "kubernetes" }) > 0, `${where}: NOERROR answers`);
      assert.ok(total(m, "coredns_dns_responses_total", { ...dns, rcode: "NXDOMAIN", plugin: "kubernetes" }) > 0, `${where}: NXDOMAIN answers`);
      assert.ok(total(m, "coredns_dns_request_duration_seconds_count", dns) > 0, `${where}: request durations`);
      assert.ok(total(m, "kubeproxy_sync_proxy_rules_duration_seconds_count") > 0, `${where}: proxy syncs timed`);
      assert.ok(total(m, "kubeproxy_sync_full_proxy_rules_duration_seconds_count") > 0, `${where}: full syncs (the table written)`);
      assert.ok(total(m, "kubeproxy_sync_partial_proxy_rules_duration_seconds_count") > 0, `${where}: partial syncs (endpoints changed as pods became Ready)`);
      assert.ok(total(m, "kubeproxy_sync_proxy_rules_last_timestamp_seconds") > Date.now() / 1000 - 3600, `${where}: the last sync's time`);
      assert.ok(total(m, "kubeproxy_network_programming_duration_seconds_count") > 0, `${where}: EndpointSlice changes programmed`);
      assert.ok(total(m, "kubeproxy_sync_proxy_rules_endpoint_changes_total") > 0, `${where}: EndpointSlice changes seen`);
      assert.ok(total(m, "kubeproxy_sync_proxy_rules_service_changes_total") > 0, `${where}: Service changes seen`);
      assert.equal(total(m, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total"), 0, `${where}: no failed nft transaction`);
    }
    assert.ok(scrapes.kubelet.has("kubelet_running_pods"), "the kubelet's own families still there");
  });

  it("routes Ingresses by host and path, with TLS from a Secret, streaming and WebSockets passed through", async () => {
    await apply(web("api", 1));
    await kubectl.ok(["expose", "deployment", "api", "--port=80", "--target-port=8080"]);
    const tls = await selfSignedCertificate("a.test", ["a.test"]);
    writeFileSync(join(dataDir, "a.crt"), tls.cert);
    writeFileSync(join(dataDir, "a.key"), tls.key);
    await kubectl.ok(["create", "secret", "tls", "a-tls", `--cert=${join(dataDir, "a.crt")}`, `--key=${join(dataDir, "a.key")}`]);
    // A WebSocket and streaming backend on the node, behind a Service without selector and an EndpointSlice of its own.
    let release = () => {};
    const backend = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      release = () => res.end("last\n");
    });
    new WebSocketServer({ server: backend }).on("connection", (ws) => ws.on("message", (m) => ws.send(`echo:${m.toString()}`)));
    await new Promise<void>((r) => backend.listen(0, nodeIP, r));
    const backendPort = (backend.address() as { port: number }).port;
    try {
      await apply(`apiVersion: v1
kind: Service
metadata: {name: live}
spec: {ports: [{name: http, port: 80, targetPort: ${backendPort}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: live-1, labels: {kubernetes.io/service-name: live}}
addressType: IPv4
endpoints: [{addresses: ["${nodeIP}"]}]
ports: [{name: http, port: ${backendPort}, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  tls: [{hosts: [a.test], secretName: a-tls}]
  rules:
  - host: a.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
  - host: b.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
  - http:
      paths:
      - {path: /live, pathType: Prefix, backend: {service: {name: live, port: {name: http}}}}
`);
      await kubectl.ok(["rollout", "status", "deployment/api", "--timeout=90s"]);
      const ing = await eventually(async () => { const i = await json(["get", "ingress", "shop"]); return i.status?.loadBalancer?.ingress?.length ? i : undefined; }, 20_000, 200);
      assert.equal(ing!.spec.ingressClassName, "skiff", "the default IngressClass was filled in");
      assert.deepEqual(ing!.status.loadBalancer.ingress, [{ ip: nodeIP }]);
      assert.match(await kubectl.ok(["get", "ingress", "shop"]), new RegExp(`shop\\s+skiff\\s+a\\.test,b\\.test\\s+${nodeIP.replace(/\./g, "\\.")}\\s+80, 443`));
      const webPods = await readyPods("web");
      const [apiPod] = await readyPods("api");
      const at = (host: string, path: string) => httpGet(`http://127.0.0.1:${ingressPorts.http}${path}`, { host }).then((b) => b.trim());
      assert.ok(webPods.includes(await at("a.test", "/")), "a.test/ reaches web");
      assert.equal(await at("a.test", "/api/"), apiPod, "a.test/api reaches api");
      assert.equal(await at("b.test", "/"), apiPod, "b.test/ reaches api");
      assert.match(await at("c.test", "/"), /^404 /, "an unknown host finds no route");
      assert.ok(webPods.includes(await at("a.test", "/")), "the node address answers too");
      assert.ok(webPods.includes((await httpGet(`http://${nodeIP}:${ingressPorts.http}/`, { host: "a.test" })).trim()));

      // TLS: the Secret's certificate, chosen by SNI and trusted as the client's CA.
      const secure = await new Promise<{ body: string; cn: string }>((resolve, reject) => {
        httpsGet({ host: "127.0.0.1", port: ingressPorts.https, path: "/api/", servername: "a.test", headers: { host: "a.test" }, ca: tls.cert, timeout: 5000 }, (res) => {
          const cn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
          let body = "";
          res.on("data", (d: Buffer) => { body += d.toString(); });
          res.on("end", () => resolve({ body: body.trim(), cn }));
        }).on("error", reject);
      });
      assert.deepEqual(secure, { body: apiPod, cn: "a.test" });

      // A streamed response reaches the client before it ends.
      const streamed = await new Promise<string[]>((resolve, reject) => {
        const chunks: string[] = [];
        get({ host: "127.0.0.1", port: ingressPorts.http, path: "/live/stream" }, (res) => {
          res.on("data", (d: Buffer) => { chunks.push(d.toString()); if (chunks.length === 1) release(); });
          res.on("end", () => resolve(chunks));
        }).on("error", reject);
      });
      assert.equal(streamed[0], "first\n");
      assert.equal(streamed.join(""), "first\nlast\n");

      const ws = new WebSocket(`ws://127.0.0.1:${ingressPorts.http}/live/socket`);
      const reply = await new Promise<string>((resolve, reject) => {
        ws.once("open", () => ws.send("hello"));
        ws.once("message", (m) => resolve(m.toString()));
        ws.once("error", reject);
      });
      ws.close();
      assert.equal(reply, "echo:hello");

      // A change applies without a restart.
      await kubectl.ok(["patch", "ingress", "shop", "--type=json", "-p", '[{"op":"add","path":"/spec/rules/0/host","value":"c.test"}]']);
      await eventually(async () => webPods.includes(await at("c.test", "/")), 10_000, 100);
    } finally {
      backend.closeAllConnections();
      backend.close();
    }
  });

  it("refuses an unallocated service address at once instead of routing it out", async () => {
    const started = Date.now();
    const r = await sh("wget -qO- http://10.96.250.250/");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Connection refused/);
    assert.ok(Date.now() - started < 5000);
  });

  it("converges after a restart without cutting an established connection through a ClusterIP", async () => {
    await kubectl.ok(["create", "deployment", "echo", `--image=${BUSYBOX_IMAGE}`, "--", "nc", "-ll", "-p", "9000", "-e", "cat"]);
    await kubectl.ok(["expose", "deployment", "echo", "--port=9000"]);
    await kubectl.ok(["rollout", "status", "deployment/echo", "--timeout=90s"]);
    const clusterIP = (await json(["get", "service", "echo"])).spec.clusterIP as string;
    let received = "";
    const socket = await eventually(() => new Promise<Socket | undefined>((resolve) => {
      const s = connect(9000, clusterIP, () => resolve(s));
      s.on("error", () => resolve(undefined));
    }), 10_000, 200);
    socket!.on("data", (d: Buffer) => { received += d.toString(); });
    socket!.write("before\n");
    await eventually(() => received === "before\n" || undefined, 5_000, 50);
    await server.stop();
    server = await startServer({ dataDir, runtime: "cri", args: serverArgs });
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "svc-node"])), 60_000, 250);
    // The restarted proxy has rewritten its table by the time a new Service answers.
    await kubectl.ok(["expose", "deployment", "echo", "--name=echo-after", "--port=9001", "--target-port=9000"]);
    const after = (await json(["get", "service", "echo-after"])).spec.clusterIP as string;
    await eventually(() => new Promise<boolean | undefined>((resolve) => {
      const s = connect(9001, after, () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(undefined));
    }), 30_000, 200);
    socket!.write("after\n");
    await eventually(() => received === "before\nafter\n" || undefined, 5_000, 50);
    socket!.destroy();
  });

  it("removes its rules with skiff killall", async () => {
    assert.equal(spawnSync("nft", ["list", "table", "ip", TABLE]).status, 0);
    await server.stop();
    killall(dataDir, BRIDGE);
    assert.notEqual(spawnSync("nft", ["list", "table", "ip", TABLE]).status, 0, "the proxy's table is gone");
    assert.notEqual(spawnSync("ip", ["link", "show", BRIDGE]).status, 0, "the pod bridge is gone");
  });
});
