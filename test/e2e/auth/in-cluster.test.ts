/**
 * A pod's way to the API server, as on upstream Kubernetes: its projected
 * kube-api-access volume (a service-account token from TokenRequest, the
 * cluster CA from kube-root-ca.crt, its namespace), the `kubernetes` Service
 * at 10.96.0.1:443 and kubernetes.default.svc from the pod network, and RBAC
 * deciding what its service account may do. Real containers (`--runtime
 * cri`): root and Debian's containerd, runc, CNI plugins and nftables.
 * Run under `flock /tmp/skiff-cri.lock`.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { criUnavailableReason } from "../../../src/kubelet/runtime/cri/containerd.js";
import { BUSYBOX_IMAGE } from "../../../src/kubelet/images/build.js";
import { nftAvailable } from "../../../src/proxy/nftables-proxier.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { removeNode, startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const unavailable = criUnavailableReason() ?? (nftAvailable() ? null : "nft is not installed");
const BRIDGE = "skiffauth0";
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const VOLUME = "kube-api-access-e2e";

/**
 * The host's openssl, run in a pod from a read-only hostPath of /usr through
 * its own dynamic loader. busybox's wget cannot be the client: its built-in
 * TLS sends no signature_algorithms, so an OpenSSL 3 server (Node's) finds no
 * shared cipher, and it cannot verify a certificate anyway. openssl does both
 * jobs as a client library in a pod would: TLS verified with the pod's ca.crt
 * and the Service's name, then the HTTP request with the pod's token.
 */
function hostOpenssl(): { loader: string; libDir: string } | undefined {
  if (!existsSync("/usr/bin/openssl")) return undefined;
  const lines = execFileSync("ldd", ["/usr/bin/openssl"], { encoding: "utf8" }).split("\n");
  const loader = lines.map((l) => /^\s*(\/\S*ld-linux\S*)/.exec(l)?.[1]).find(Boolean);
  const libssl = lines.map((l) => /libssl\S*\s+=>\s+(\S+)/.exec(l)?.[1]).find(Boolean);
  if (!loader || !libssl) return undefined;
  const real = { loader: realpathSync(loader), libDir: dirname(realpathSync(libssl)) };
  return real.loader.startsWith("/usr/") && real.libDir.startsWith("/usr/") ? real : undefined;
}
const openssl = hostOpenssl();

/**
 * A pod of service account `sa` with upstream's kube-api-access volume written
 * out, so that it holds with or without the ServiceAccount admission plugin
 * (which leaves a pod alone that already mounts the path), and the host's /usr
 * at /host/usr for openssl.
 */
const clientPod = (name: string, sa: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  serviceAccountName: ${sa}
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: ${VOLUME}, mountPath: ${SA_DIR}, readOnly: true}
    - {name: host-usr, mountPath: /host/usr, readOnly: true}
  volumes:
  - name: ${VOLUME}
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {expirationSeconds: 3607, path: token}
      - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
      - downwardAPI: {items: [{path: namespace, fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}]}
  - name: host-usr
    hostPath: {path: /usr, type: Directory}
`;

/**
 * A shell command for the pod: GET path from host:port over TLS verified with
 * the pod's ca.crt against the name (or IP) the client dialled, with the
 * pod's token. Prints the raw HTTP response; fails when verification fails.
 */
function inPodGet(host: string, port: string, path: string, verify: "hostname" | "ip"): string {
  const o = openssl!;
  const run = `OPENSSL_CONF=/dev/null /host${o.loader} --library-path /host${o.libDir} /host/usr/bin/openssl`;
  return `printf 'GET ${path} HTTP/1.1\\r\\nHost: ${host}\\r\\nAuthorization: Bearer %s\\r\\nAccept: application/json\\r\\nConnection: close\\r\\n\\r\\n' "$(cat ${SA_DIR}/token)" | ` +
    `${run} s_client -quiet -connect ${host}:${port} -servername kubernetes.default.svc -verify_${verify} ${host} -CAfile ${SA_DIR}/ca.crt -verify_return_error`;
}

/** Status code and body of a raw HTTP/1.1 response (chunked or not). */
function parseHttp(raw: string): { status: number; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split), rest = raw.slice(split + 4);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  if (!/transfer-encoding:\s*chunked/i.test(head)) return { status, body: rest };
  let body = "", at = 0;
  for (;;) {
    const nl = rest.indexOf("\r\n", at);
    const size = parseInt(rest.slice(at, nl), 16);
    if (!size) break;
    body += rest.slice(nl + 2, nl + 2 + size);
    at = nl + 2 + size + 2;
  }
  return { status, body };
}

/** The subject names a server presents, checked against a CA as a client in a pod would. */
function verifiedConnect(host: string, port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca, servername, rejectUnauthorized: true, timeout: 5000 }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(String(cert.subjectaltname));
    });
    socket.on("timeout", () => socket.destroy(new Error(`timeout connecting to ${host}:${port}`)));
    socket.on("error", reject);
  });
}

describe("in-cluster access to the API server", { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  let tokenRequestServed = false;
  const dataDir = mkdtempSync(join(tmpdir(), "skiff-in-cluster-"));
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const apply = (yaml: string) => kubectl.ok(["apply", "-f", "-"], { input: yaml });
  const sh = (pod: string, script: string) => kubectl.run(["exec", pod, "--", "sh", "-c", script]);
  const running = (name: string) => eventually(async () => (await json(["get", "pod", name])).status.phase === "Running", 60_000, 250);

  /** What a user would look at when a pod cannot resolve a Service's name: its resolv.conf, the kube-dns Service's endpoints, the server's DNS log. */
  const dnsDiagnosis = async (pod: string): Promise<string> => {
    const resolv = (await sh(pod, "cat /etc/resolv.conf")).stdout;
    const slices = (await kubectl.run(["get", "endpointslices", "-n", "kube-system", "-l", "kubernetes.io/service-name=kube-dns", "-o", "yaml"])).stdout;
    const lookup = await sh(pod, "nslookup kubernetes.default.svc.cluster.local");
    return `\n--- resolv.conf:\n${resolv}\n--- nslookup: ${lookup.code}\n${lookup.stdout}${lookup.stderr}\n--- kube-dns slices:\n${slices}`;
  };

  before(async () => {
    server = await startServer({ dataDir, runtime: "cri", args: ["--kubelet-port", "0", "--pod-bridge", BRIDGE, "--node-name", "auth-node", "--disable-ingress"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => /\sReady\s/.test(await kubectl.ok(["get", "node", "auth-node"])), 60_000, 250);
    await kubectl.ok(["create", "serviceaccount", "reader"]);
    await kubectl.ok(["create", "serviceaccount", "nobody"]);
    await kubectl.ok(["create", "rolebinding", "reader-view", "--clusterrole=view", "--serviceaccount=default:reader"]);
    // The root-ca-cert-publisher puts kube-root-ca.crt in every namespace.
    await eventually(async () => (await kubectl.run(["get", "configmap", "kube-root-ca.crt"])).code === 0, 20_000, 250);
    // TokenRequest lands on main apart from this test's kubelet side; without it, the pod must say why it waits.
    tokenRequestServed = (await kubectl.run(["create", "token", "reader"])).code === 0;
    await apply(clientPod("reader", "reader"));
  });
  after(() => removeNode(server, dataDir, BRIDGE));

  it("names the pod network's gateway in the kubernetes Service's endpoints, with a certificate for 10.96.0.1 and kubernetes.default.svc", async () => {
    const node = await json(["get", "node", "auth-node"]);
    const nodeIP = node.status.addresses.find((a: Json) => a.type === "InternalIP").address as string;
    const ep = await eventually(async () => { const e = await json(["get", "endpoints", "kubernetes"]); return e.subsets?.[0]?.addresses?.[0]?.ip === nodeIP ? e : undefined; }, 20_000, 250);
    const port = ep!.subsets[0].ports[0].port as number;
    const slice = await json(["get", "endpointslice", "kubernetes"]);
    assert.deepEqual(slice.endpoints.map((e: Json) => e.addresses[0]), [nodeIP]);
    const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    // The server answers on the gateway, and through the Service from this node as a pod's packets go.
    assert.match(await verifiedConnect(nodeIP, port, ca), new RegExp(`IP Address:${nodeIP.replace(/\./g, "\\.")}`));
    assert.match(await verifiedConnect("10.96.0.1", 443, ca), /IP Address:10\.96\.0\.1/);
    assert.match(await verifiedConnect("10.96.0.1", 443, ca, "kubernetes.default.svc"), /DNS:kubernetes\.default\.svc\b/);
  });

  it("reports a token it cannot fetch as upstream's FailedMount and keeps retrying", { skip: false }, async (t) => {
    if (tokenRequestServed) { t.skip("TokenRequest is served: the pod got its token"); return; }
    const event = await eventually(async () => ((await json(["get", "events", "--field-selector", "involvedObject.name=reader"])).items as Json[])
      .find((e) => e.reason === "FailedMount"), 30_000, 250);
    assert.match(event!.message, new RegExp(`^MountVolume\\.SetUp failed for volume "${VOLUME}" : failed to fetch token: `));
    assert.equal(event!.type, "Warning");
    await eventually(async () => ((await json(["get", "events", "--field-selector", "involvedObject.name=reader"])).items as Json[])
      .some((e) => e.reason === "FailedMount" && e.count > 1), 30_000, 500);
  });

  it("gives the pod its token, the cluster CA and its namespace, read-only, as upstream's modes", async (t) => {
    if (!tokenRequestServed) { t.skip("TokenRequest (serviceaccounts/token) is not served yet"); return; }
    await running("reader");
    assert.equal((await sh("reader", `cat ${SA_DIR}/namespace`)).stdout, "default");
    assert.equal((await sh("reader", `cat ${SA_DIR}/ca.crt`)).stdout, readFileSync(join(dataDir, "tls", "ca.crt"), "utf8"));
    const token = (await sh("reader", `cat ${SA_DIR}/token`)).stdout;
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Json;
    assert.equal(claims.sub, "system:serviceaccount:default:reader");
    const pod = await json(["get", "pod", "reader"]);
    assert.equal(claims["kubernetes.io"]?.pod?.uid, pod.metadata.uid, "the token is bound to the pod");
    const modes = (await sh("reader", `stat -L -c '%n %a' ${SA_DIR}/token ${SA_DIR}/ca.crt ${SA_DIR}/namespace`)).stdout;
    assert.equal(modes, `${SA_DIR}/token 644\n${SA_DIR}/ca.crt 644\n${SA_DIR}/namespace 644\n`);
    const ls = (await sh("reader", `ls -a ${SA_DIR}`)).stdout.split("\n");
    assert.ok(ls.includes("..data"), "written through upstream's ..data link");
    const write = await sh("reader", `touch ${SA_DIR}/x`);
    assert.notEqual(write.code, 0, "the volume is mounted read-only");
    const env = (await sh("reader", "echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT")).stdout.trim();
    assert.equal(env, "10.96.0.1:443");
  });

  it("lists pods through https://kubernetes.default.svc and $KUBERNETES_SERVICE_HOST, verified with ca.crt, when RBAC allows it", async (t) => {
    if (!tokenRequestServed) { t.skip("TokenRequest (serviceaccounts/token) is not served yet"); return; }
    if (!openssl) { t.skip("no openssl on this machine to run in the pod"); return; }
    await running("reader");
    const targets: [string, string, "hostname" | "ip"][] = [["kubernetes.default.svc", "443", "hostname"], ["$KUBERNETES_SERVICE_HOST", "$KUBERNETES_SERVICE_PORT", "ip"]];
    for (const [host, port, verify] of targets) {
      // The first request may come before the proxy's rules for the Service: retried a little, then the last answer is told.
      const get = () => sh("reader", inPodGet(host, port, "/api/v1/namespaces/default/pods", verify));
      const r = (await eventually(async () => { const x = await get(); return x.code === 0 && parseHttp(x.stdout).status === 200 ? x : undefined; }, 20_000, 500).catch(get))!;
      const { status, body } = parseHttp(r.stdout);
      assert.equal(status, 200, `${host}: ${r.stdout.slice(0, 300)} ${r.stderr}${status ? "" : await dnsDiagnosis("reader")}`);
      const list = JSON.parse(body) as Json;
      assert.equal(list.kind, "PodList");
      assert.ok(list.items.some((p: Json) => p.metadata.name === "reader"), host);
    }
    // The same client refuses a server whose certificate does not name what it dialled: the check above is a real one.
    const wrong = await sh("reader", inPodGet("kubernetes.default.svc", "443", "/api/v1/namespaces/default/pods", "hostname").replace("-verify_hostname kubernetes.default.svc", "-verify_hostname not-the-apiserver.example"));
    assert.notEqual(wrong.code, 0);
  });

  it("is Forbidden (403) for a service account without a binding, once RBAC decides", async (t) => {
    if (!tokenRequestServed) { t.skip("TokenRequest (serviceaccounts/token) is not served yet"); return; }
    if (!openssl) { t.skip("no openssl on this machine to run in the pod"); return; }
    // Before RBAC is enforced every authenticated user may do everything, and SubjectAccessReview says so truthfully.
    const canI = await kubectl.run(["auth", "can-i", "list", "pods", "--as=system:serviceaccount:default:nobody"]);
    if (canI.stdout.trim() !== "no") { t.skip("RBAC is not enforced yet (can-i says yes for an unbound service account)"); return; }
    await apply(clientPod("nobody", "nobody"));
    await running("nobody");
    const get = () => sh("nobody", inPodGet("kubernetes.default.svc", "443", "/api/v1/namespaces/default/pods", "hostname"));
    const r = (await eventually(async () => { const x = await get(); return parseHttp(x.stdout).status ? x : undefined; }, 20_000, 500).catch(get))!;
    const { status, body } = parseHttp(r.stdout);
    assert.equal(status, 403, `${r.stdout.slice(0, 300)} ${r.stderr}${status ? "" : await dnsDiagnosis("nobody")}`);
    const st = JSON.parse(body) as Json;
    assert.equal(st.reason, "Forbidden");
    assert.equal(st.message, 'pods is forbidden: User "system:serviceaccount:default:nobody" cannot list resource "pods" in API group "" in the namespace "default"');
  });

  it("serves @kubernetes/client-node's loadFromCluster from the volume the kubelet wrote", async (t) => {
    if (!tokenRequestServed) { t.skip("TokenRequest (serviceaccounts/token) is not served yet"); return; }
    await running("reader");
    const pod = await json(["get", "pod", "reader"]);
    const volume = join(dataDir, "agent", "kubelet", "pods", pod.metadata.uid, "volumes", "kubernetes.io~projected", VOLUME);
    assert.ok(readdirSync(volume).includes("token"));
    // A root whose service-account path is the volume, as the process runtime gives its containers.
    const root = mkdtempSync(join(tmpdir(), "skiff-in-cluster-root-"));
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    try {
      mkdirSync(dirname(join(root, SA_DIR)), { recursive: true });
      symlinkSync(volume, join(root, SA_DIR));
      process.env.KUBERNETES_SERVICE_HOST = "10.96.0.1";
      process.env.KUBERNETES_SERVICE_PORT = "443";
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster(root);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, "default");
      const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: "default" });
      assert.ok(list.items.some((p) => p.metadata?.name === "reader"));
    } finally {
      process.env.KUBERNETES_SERVICE_HOST = saved.host;
      process.env.KUBERNETES_SERVICE_PORT = saved.port;
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      rmSync(root, { recursive: true, force: true });
    }
  });
});
