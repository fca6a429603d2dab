/**
 * What a kubectl user sees against `skiff server`: the real /usr/bin/kubectl
 * drives a real server on a temporary data directory.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const fixture = (name: string) => join(repoRoot, "test/e2e/kubectl", name);
const scratch = mkdtempSync(join(tmpdir(), "skiff-e2e-"));

describe("kubectl against skiff server", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => {
    await server[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("reports version 1.32 and serves discovery", async () => {
    const version = await kubectl.ok(["version"]);
    assert.match(version, /Server Version: v1\.32\.\d/);
    const resources = await kubectl.ok(["api-resources"]);
    for (const line of [/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^pods\s+po\s+v1\s+true\s+Pod$/m, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false/m]) {
      assert.match(resources, line);
    }
    const versions = await kubectl.ok(["api-versions"]);
    for (const gv of ["apps/v1", "batch/v1", "networking.k8s.io/v1", "v1", "autoscaling/v2", "coordination.k8s.io/v1"]) assert.match(versions, new RegExp(`^${gv.replace(/\./g, "\\.")}$`, "m"));
    assert.match(await kubectl.ok(["get", "namespaces"]), /^kube-system\s+Active\s+/m);
  });

  it("applies one multi-document file and then its edits as a three-way merge", async () => {
    const out = await kubectl.ok(["apply", "-f", fixture("app.yaml")]);
    for (const line of ["namespace/shop created", "configmap/web-config created", "secret/web-secret created", "deployment.apps/web created",
      "service/web created", "job.batch/migrate created", "cronjob.batch/report created", "ingress.networking.k8s.io/web created",
      "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created"]) {
      assert.ok(out.includes(line), `missing "${line}" in:\n${out}`);
    }
    await eventually(async () => (await kubectl.run(["apply", "-f", fixture("crontab.yaml")])).code === 0);
    assert.match(await kubectl.ok(["get", "crontabs", "-n", "shop"]), /^nightly\s+0 3 \* \* \*\s+1\s+\d+s$/m);
    assert.match(await kubectl.ok(["apply", "-f", fixture("app.yaml")]), /deployment\.apps\/web unchanged/);

    // Edit a field, drop a label and a container: the three-way merge removes what the file no longer has.
    const edited = readFileSync(fixture("app.yaml"), "utf8")
      .replace("replicas: 2", "replicas: 3")
      .replace("    tier: front\n", "")
      .replace(/      - name: sidecar\n        image: busybox:1.36\n        command: \["sleep", "infinity"\]\n/, "");
    const editedPath = join(scratch, "app-edited.yaml");
    writeFileSync(editedPath, edited);
    assert.match(await kubectl.ok(["apply", "-f", editedPath]), /deployment\.apps\/web configured/);
    const d = JSON.parse(await kubectl.ok(["get", "deploy", "web", "-n", "shop", "-o", "json"]));
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.metadata.labels, { app: "web" });
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string }) => c.name), ["web"]);
    assert.equal(d.metadata.generation, 2);
    assert.equal(d.spec.strategy.rollingUpdate.maxSurge, "25%", "defaults stay in place");

    // diff shows what applying the original would change, and exits 1.
    const diff = await kubectl.run(["diff", "-f", fixture("app.yaml")]);
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /^-\s+replicas: 3$/m);
    assert.match(diff.stdout, /^\+\s+replicas: 2$/m);
  });

  it("server-side apply owns fields, reports conflicts and takes them over with --force-conflicts", async () => {
    const file = join(scratch, "ssa.yaml");
    writeFileSync(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  a: \"1\"\n  b: \"2\"\n");
    assert.match(await kubectl.ok(["apply", "--server-side", "-f", file]), /configmap\/ssa serverside-applied/);
    await kubectl.ok(["patch", "configmap", "ssa", "--type=merge", "-p", '{"data":{"a":"mine"}}']);
    const conflict = await kubectl.run(["apply", "--server-side", "-f", file]);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl-patch"/);
    assert.match(conflict.stderr, /\.data\.a/);
    await kubectl.ok(["apply", "--server-side", "--force-conflicts", "-f", file]);
    writeFileSync(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  a: \"1\"\n");
    await kubectl.ok(["apply", "--server-side", "-f", file]);
    const cm = JSON.parse(await kubectl.ok(["get", "cm", "ssa", "-o", "json", "--show-managed-fields"]));
    assert.deepEqual(cm.data, { a: "1" }, "a field dropped from the applied config is removed");
    assert.ok(cm.metadata.managedFields.some((f: { manager: string; operation: string }) => f.manager === "kubectl" && f.operation === "Apply"));
  });

  it("prints what a user expects from get", async () => {
    await kubectl.ok(["apply", "-f", fixture("app.yaml")]);
    const deploy = await kubectl.ok(["get", "deploy", "-n", "shop"]);
    assert.match(deploy, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(deploy, /^web\s+\d\/2\s+\d\s+\d\s+\d+s$/m);
    const wide = await kubectl.ok(["get", "deploy", "web", "-n", "shop", "-o", "wide"]);
    assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /web,sidecar\s+busybox:1\.36,busybox:1\.36\s+app=web/);
    const svc = await kubectl.ok(["get", "svc", "web", "-n", "shop"]);
    assert.match(svc, /^web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/m);
    assert.match(await kubectl.ok(["get", "deploy", "web", "-n", "shop", "-o", "yaml"]), /^kind: Deployment$/m);
    assert.equal(JSON.parse(await kubectl.ok(["get", "cm", "web-config", "-n", "shop", "-o", "json"])).data.greeting, "hello");
    assert.equal(await kubectl.ok(["get", "svc", "web", "-n", "shop", "-o", "jsonpath={.spec.ports[0].targetPort}"]), "8080");
    assert.match(await kubectl.ok(["get", "deploy", "-n", "shop", "-l", "tier=front", "-o", "name"]), /^deployment\.apps\/web$/m);
    assert.equal((await kubectl.ok(["get", "deploy", "-n", "shop", "-l", "tier=back", "-o", "name"])).trim(), "");
    assert.equal((await kubectl.ok(["get", "cm", "-n", "shop", "--field-selector", "metadata.name=web-config", "-o", "name"])).trim(), "configmap/web-config");
    assert.match(await kubectl.ok(["get", "svc", "-A"]), /^default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/m);
    assert.match(await kubectl.ok(["get", "deploy", "web", "-n", "shop", "--show-labels"]), /app=web,tier=front$/m);
    assert.match(await kubectl.ok(["get", "job", "migrate", "-n", "shop"]), /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/m);
    // Created just before a five-minute mark, the CronJob has already run once: ACTIVE 1 and a LAST SCHEDULE.
    assert.match(await kubectl.ok(["get", "cronjob", "report", "-n", "shop"]), /^report\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+(0\s+<none>|1\s+\d+s)\s+\d+s$/m);
    const none = await kubectl.run(["get", "statefulsets", "-n", "shop"]);
    assert.match(none.stderr, /No resources found in shop namespace\./);
  });

  it("get -w sees a change as it happens", async () => {
    await kubectl.ok(["create", "configmap", "watched", "--from-literal=k=v"]);
    const child = spawn("/usr/bin/kubectl", ["--kubeconfig", server.kubeconfig, "--cache-dir", kubectl.cacheDir, "get", "cm", "watched", "-w", "-o", "jsonpath={.data.k}{\"\\n\"}"]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    try {
      await eventually(() => out.includes("v\n"));
      await kubectl.ok(["patch", "cm", "watched", "--type=merge", "-p", '{"data":{"k":"changed"}}']);
      await eventually(() => out.includes("changed\n"));
    } finally {
      child.kill();
    }
  });

  it("describes, labels, annotates, patches and scales", async () => {
    await kubectl.ok(["create", "deployment", "api", "--image=busybox:1.36", "--replicas=2"]);
    const describe = await kubectl.ok(["describe", "deployment", "api"]);
    assert.match(describe, /^Name:\s+api$/m);
    assert.match(describe, /^Replicas:\s+2 desired/m);
    assert.match(describe, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(await kubectl.ok(["label", "deployment", "api", "team=blue"]), /deployment\.apps\/api labeled/);
    assert.match(await kubectl.ok(["annotate", "deployment", "api", "owner=ops"]), /deployment\.apps\/api annotated/);
    await kubectl.ok(["patch", "deployment", "api", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","image":"busybox:1.37"}]}}}}']);
    await kubectl.ok(["patch", "deployment", "api", "--type=merge", "-p", '{"spec":{"minReadySeconds":5}}']);
    await kubectl.ok(["patch", "deployment", "api", "--type=json", "-p", '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]']);
    await kubectl.ok(["create", "configmap", "steady", "--from-literal=k=v"]);
    assert.match(await kubectl.ok(["patch", "configmap", "steady", "--type=merge", "-p", '{"data":{"k":"v"}}']), /patched \(no change\)/);
    assert.match(await kubectl.ok(["scale", "deployment", "api", "--replicas=4"]), /deployment\.apps\/api scaled/);
    await kubectl.ok(["scale", "deployment", "api", "--current-replicas=4", "--replicas=5"]);
    const d = JSON.parse(await kubectl.ok(["get", "deploy", "api", "-o", "json"]));
    assert.equal(d.spec.replicas, 5);
    assert.equal(d.metadata.labels.team, "blue");
    assert.equal(d.metadata.annotations.owner, "ops");
    assert.equal(d.spec.template.spec.containers[0].image, "busybox:1.37");
    assert.equal(d.spec.minReadySeconds, 5);
    assert.equal(d.spec.revisionHistoryLimit, 3);
    const stale = await kubectl.run(["scale", "deployment", "api", "--current-replicas=1", "--replicas=2"]);
    assert.notEqual(stale.code, 0);
  });

  it("creates objects with kubectl create subcommands (protobuf bodies)", async () => {
    await kubectl.ok(["create", "namespace", "made"]);
    await kubectl.ok(["create", "configmap", "cfg", "-n", "made", "--from-literal=a=1", "--from-literal=b=2"]);
    await kubectl.ok(["create", "secret", "generic", "pw", "-n", "made", "--from-literal=password=s3cret"]);
    await kubectl.ok(["create", "service", "nodeport", "np", "-n", "made", "--tcp=80:8080"]);
    await kubectl.ok(["create", "deployment", "d", "-n", "made", "--image=busybox:1.36", "--port=8080"]);
    await kubectl.ok(["create", "job", "j", "-n", "made", "--image=busybox:1.36", "--", "echo", "hi"]);
    const cm = JSON.parse(await kubectl.ok(["get", "cm", "cfg", "-n", "made", "-o", "json"]));
    assert.deepEqual(cm.data, { a: "1", b: "2" });
    assert.equal(Buffer.from(await kubectl.ok(["get", "secret", "pw", "-n", "made", "-o", "jsonpath={.data.password}"]), "base64").toString(), "s3cret");
    const np = JSON.parse(await kubectl.ok(["get", "svc", "np", "-n", "made", "-o", "json"]));
    assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
    const d = JSON.parse(await kubectl.ok(["get", "deploy", "d", "-n", "made", "-o", "json"]));
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 8080);
    const j = JSON.parse(await kubectl.ok(["get", "job", "j", "-n", "made", "-o", "json"]));
    assert.deepEqual(j.spec.template.spec.containers[0].command, ["echo", "hi"]);
    assert.equal(j.spec.template.spec.restartPolicy, "Never");
    assert.match(await kubectl.ok(["auth", "whoami"]), /Username\s+admin/);
    assert.equal((await kubectl.ok(["auth", "can-i", "create", "pods"])).trim(), "yes");
  });

  it("deletes by name, by label and with --cascade=orphan, and wait --for=delete returns", async () => {
    await kubectl.ok(["create", "configmap", "del-a", "--from-literal=x=1"]);
    await kubectl.ok(["create", "configmap", "del-b", "--from-literal=x=1"]);
    await kubectl.ok(["label", "configmap", "del-b", "purge=yes"]);
    assert.match(await kubectl.ok(["delete", "configmap", "del-a"]), /configmap "del-a" deleted/);
    assert.match(await kubectl.ok(["delete", "configmap", "-l", "purge=yes"]), /configmap "del-b" deleted/);
    const gone = await kubectl.run(["get", "configmap", "del-b"]);
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "del-b" not found/);
    await kubectl.ok(["create", "deployment", "orphaner", "--image=busybox:1.36"]);
    assert.match(await kubectl.ok(["delete", "deployment", "orphaner", "--cascade=orphan"]), /deployment\.apps "orphaner" deleted/);
    await kubectl.ok(["create", "configmap", "waited", "--from-literal=x=1"]);
    const waiter = kubectl.run(["wait", "--for=delete", "configmap/waited", "--timeout=30s"]);
    await new Promise((r) => setTimeout(r, 500));
    await kubectl.ok(["delete", "configmap", "waited", "--wait=false"]);
    const w = await waiter;
    assert.equal(w.code, 0, w.stderr);
  });

  it("explains fields from the OpenAPI schemas", async () => {
    const out = await kubectl.ok(["explain", "deployment.spec.strategy"]);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(out, /rollingUpdate\s+<RollingUpdateDeployment>/);
  });

  it("refuses invalid input with upstream's messages", async () => {
    await kubectl.ok(["create", "deployment", "fixed", "--image=busybox:1.36"]);
    const immutable = await kubectl.run(["patch", "deployment", "fixed", "--type=merge", "-p", '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}']);
    assert.notEqual(immutable.code, 0);
    assert.match(immutable.stderr, /The Deployment "fixed" is invalid: spec\.selector: Invalid value: .*: field is immutable/);
    const bad = join(scratch, "unknown-field.yaml");
    writeFileSync(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata:\n  a: b\nbogus: 1\n");
    const strict = await kubectl.run(["apply", "--validate=strict", "-f", bad]);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /unknown field "bogus"/);
    const replicas = join(scratch, "negative.yaml");
    writeFileSync(replicas, readFileSync(fixture("app.yaml"), "utf8").split("---")[3]!.replace("replicas: 2", "replicas: -1").replace("name: web", "name: negative"));
    const neg = await kubectl.run(["create", "-f", replicas]);
    assert.match(neg.stderr, /The Deployment "negative" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    const lostMount = join(scratch, "lost-mount.yaml");
    writeFileSync(lostMount, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: lost-mount\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    volumeMounts: [{name: data, mountPath: /data}]\n");
    const lost = await kubectl.run(["create", "-f", lostMount]);
    assert.match(lost.stderr, /The Pod "lost-mount" is invalid: spec\.containers\[0\]\.volumeMounts\[0\]\.name: Not found: "data"/);
    const missing = await kubectl.run(["create", "configmap", "nowhere", "-n", "no-such-ns"]);
    assert.match(missing.stderr, /namespaces "no-such-ns" not found/);
    const again = join(scratch, "again.yaml");
    writeFileSync(again, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n");
    await kubectl.ok(["create", "-f", again]);
    const exists = await kubectl.run(["create", "-f", again]);
    assert.match(exists.stderr, /Error from server \(AlreadyExists\): error when creating ".*again\.yaml": configmaps "twice" already exists/);
  });

  it("answers a malformed body with 400 and keeps serving", async () => {
    const { Client, loadKubeconfig } = await import("../../../src/client/index.js");
    const client = new Client(loadKubeconfig(server.kubeconfig));
    try {
      await assert.rejects(client.request("POST", "/api/v1/namespaces/default/configmaps", "{not json", "application/json"), (e: { code?: number }) => e.code === 400);
      await assert.rejects(client.request("POST", "/api/v1/namespaces/default/configmaps", "[1,2]", "application/json"), (e: { code?: number }) => e.code === 400);
      await assert.rejects(client.request("POST", "/api/v1/namespaces/default/configmaps", "k8s\u0000garbage", "application/vnd.kubernetes.protobuf"), (e: { code?: number }) => e.code === 400);
      await assert.rejects(client.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(b"), (e: { code?: number }) => e.code === 400);
      assert.ok(await client.request("GET", "/api/v1/namespaces"));
    } finally {
      client.close();
    }
  });

  it("treats requests without credentials as system:anonymous, and refuses a bad token", async () => {
    const { Client, loadKubeconfig } = await import("../../../src/client/index.js");
    const cfg = loadKubeconfig(server.kubeconfig);
    const anonymous = new Client({ server: cfg.server, ca: cfg.ca });
    const badToken = new Client({ server: cfg.server, ca: cfg.ca, token: "not-a-token" });
    try {
      await assert.rejects(anonymous.request("GET", "/api/v1/namespaces"), (e: { code?: number; message?: string }) =>
        e.code === 403 && /namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope/.test(e.message ?? ""));
      assert.deepEqual(await anonymous.request("GET", "/version").then((v) => typeof (v as { gitVersion?: string }).gitVersion), "string");
      await assert.rejects(badToken.request("GET", "/version"), (e: { code?: number }) => e.code === 401);
    } finally {
      anonymous.close();
      badToken.close();
    }
  });

  it("issues a user's client certificate through a CertificateSigningRequest that kubectl approves", async () => {
    const key = join(scratch, "jane.key");
    const request = join(scratch, "jane.csr");
    execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=jane/O=developers"], { stdio: "ignore" });
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: "jane" },
      spec: { request: readFileSync(request).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client", expirationSeconds: 86400, usages: ["client auth"] },
    }) });
    assert.match(await kubectl.ok(["get", "csr", "jane"]), /^jane\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+admin\s+24h\s+Pending$/m);
    assert.match(await kubectl.ok(["certificate", "approve", "jane"]), /certificatesigningrequest\.certificates\.k8s\.io\/jane approved/);
    const issued = await eventually(async () => {
      const csr = JSON.parse(await kubectl.ok(["get", "csr", "jane", "-o", "json"]));
      return csr.status?.certificate as string | undefined;
    }, 15_000, 200);
    assert.match(await kubectl.ok(["get", "csr", "jane"]), /\sApproved,Issued$/m);
    const cert = join(scratch, "jane.crt");
    writeFileSync(cert, Buffer.from(issued!, "base64"));
    // The certificate authenticates jane (and her group) to the server.
    const janeConfig = join(scratch, "jane.kubeconfig");
    writeFileSync(janeConfig, [
      "apiVersion: v1", "kind: Config", "current-context: jane",
      `clusters: [{name: skiff, cluster: {server: "${server.url}", certificate-authority: "${join(server.dataDir, "tls", "ca.crt")}"}}]`,
      `users: [{name: jane, user: {client-certificate: "${cert}", client-key: "${key}"}}]`,
      "contexts: [{name: jane, context: {cluster: skiff, user: jane}}]", "",
    ].join("\n"));
    const whoami = await kubectlFor(janeConfig).ok(["auth", "whoami"]);
    assert.match(whoami, /^Username\s+jane$/m);
    assert.match(whoami, /^Groups\s+\[developers system:authenticated\]$/m);
    const expiry = execFileSync("openssl", ["x509", "-noout", "-enddate", "-in", cert], { encoding: "utf8" });
    const days = (Date.parse(expiry.replace("notAfter=", "").trim()) - Date.now()) / 86400_000;
    assert.ok(days > 0.9 && days <= 1.01, `valid for the day asked, not the signer's year: ${expiry}`);

    // A request that a signer must refuse fails with upstream's reason; denied ones are never signed.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: "serving-for-a-user" },
      spec: { request: readFileSync(request).toString("base64"), signerName: "kubernetes.io/kubelet-serving", usages: ["server auth"] },
    }) });
    await kubectl.ok(["certificate", "approve", "serving-for-a-user"]);
    const failed = await eventually(async () => JSON.parse(await kubectl.ok(["get", "csr", "serving-for-a-user", "-o", "json"])).status?.conditions?.find((c: { type: string }) => c.type === "Failed"), 15_000, 200);
    assert.equal(failed.message, "subject must be system:node:NAME in organization system:nodes");
  });

  it("applies a List, as kubectl get -o yaml writes one, and applies it again after an edit", async () => {
    const list = (value: string) => JSON.stringify({ apiVersion: "v1", kind: "List", items: ["first", "second"].map((name) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `listed-${name}` }, data: { value } })) });
    const first = await kubectl.ok(["apply", "-f", "-"], { input: list("one") });
    assert.match(first, /configmap\/listed-first created/);
    assert.match(first, /configmap\/listed-second created/);
    const exported = await kubectl.ok(["get", "configmap", "listed-first", "listed-second", "-o", "yaml"]);
    assert.match(exported, /^kind: List$/m);
    const edited = await kubectl.ok(["apply", "-f", "-"], { input: exported.replace(/value: one/g, "value: two") });
    assert.match(edited, /configmap\/listed-first configured/);
    assert.equal(await kubectl.ok(["get", "configmap", "listed-second", "-o", "jsonpath={.data.value}"]), "two");
    await kubectl.ok(["delete", "configmap", "listed-first", "listed-second"]);
  });
});
