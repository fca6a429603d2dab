/**
 * ResourceQuota enforcement at admission, as a kubectl user meets it on
 * `skiff server --sim-nodes 1`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

describe("resource quotas", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const pod = (name: string, resources: Record<string, unknown>) => JSON.stringify({
    apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers: [{ name: "c", image: "busybox", resources }] },
  });
  const counted = (ns: string, quota: string) => eventually(async () => (await json(["get", "quota", quota, "-n", ns])).status?.used, 15_000);
  before(async () => {
    server = await startServer({ simNodes: 1 });
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("refuses a pod beyond the quota with upstream's message, and counts it back when one goes", async () => {
    await kubectl.ok(["create", "namespace", "team-a"]);
    await kubectl.ok(["create", "quota", "compute", "--hard=pods=2,requests.cpu=1,limits.cpu=2", "-n", "team-a"]);
    await counted("team-a", "compute");
    const sized = { requests: { cpu: "500m" }, limits: { cpu: "1" } };
    await kubectl.ok(["apply", "-n", "team-a", "-f", "-"], { input: pod("a", sized) });
    await kubectl.ok(["apply", "-n", "team-a", "-f", "-"], { input: pod("b", sized) });
    const refused = await kubectl.run(["apply", "-n", "team-a", "-f", "-"], { input: pod("c", sized) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /pods "c" is forbidden: exceeded quota: compute, requested: limits\.cpu=1,pods=1,requests\.cpu=500m, used: limits\.cpu=2,pods=2,requests\.cpu=1, limited: limits\.cpu=2,pods=2,requests\.cpu=1/);
    assert.match(await kubectl.ok(["describe", "quota", "compute", "-n", "team-a"]), /pods\s+2\s+2/);

    const unsized = await kubectl.run(["apply", "-n", "team-a", "-f", "-"], { input: pod("d", {}) });
    assert.match(unsized.stderr, /pods "d" is forbidden: failed quota: compute: must specify limits\.cpu for: c; requests\.cpu for: c/);

    await kubectl.ok(["delete", "pod", "a", "-n", "team-a", "--grace-period=0", "--force"]);
    await eventually(async () => (await kubectl.run(["apply", "-n", "team-a", "-f", "-"], { input: pod("c", sized) })).code === 0, 15_000);
    assert.deepEqual((await json(["get", "pods", "-n", "team-a"])).items.map((p: { metadata: { name: string } }) => p.metadata.name).sort(), ["b", "c"]);
  });

  it("admits exactly the quota's worth of concurrent creates", async () => {
    await kubectl.ok(["create", "namespace", "team-b"]);
    // A namespace may hold ConfigMaps of its own (upstream's kube-root-ca.crt, put there by the root-ca-cert-publisher):
    // they count, so the quota leaves room for exactly three more.
    await eventually(async () => (await kubectl.run(["get", "configmap", "kube-root-ca.crt", "-n", "team-b"])).code === 0, 15_000).catch(() => undefined);
    const present = (await json(["get", "configmaps", "-n", "team-b"])).items.length as number;
    const limit = present + 3;
    await kubectl.ok(["create", "quota", "objects", `--hard=configmaps=${limit},count/deployments.apps=1`, "-n", "team-b"]);
    await counted("team-b", "objects");
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => kubectl.run(["create", "configmap", `cm-${i}`, "-n", "team-b"])));
    assert.equal(results.filter((r) => r.code === 0).length, 3);
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, new RegExp(`exceeded quota: objects, requested: configmaps=1, used: configmaps=${limit}, limited: configmaps=${limit}`));
    assert.equal((await json(["get", "configmaps", "-n", "team-b"])).items.filter((c: { metadata: { name: string } }) => c.metadata.name.startsWith("cm-")).length, 3);
    await kubectl.ok(["create", "deployment", "one", "--image=busybox", "-n", "team-b"]);
    const second = await kubectl.run(["create", "deployment", "two", "--image=busybox", "-n", "team-b"]);
    assert.match(second.stderr, /deployments\.apps "two" is forbidden: exceeded quota: objects, requested: count\/deployments\.apps=1/);
    const used = (await counted("team-b", "objects"));
    assert.equal(used["count/deployments.apps"], "1");
  });

  it("shows a ReplicaSet held back by a quota with upstream's ReplicaFailure condition and FailedCreate events", async () => {
    await kubectl.ok(["create", "namespace", "team-c"]);
    await kubectl.ok(["create", "quota", "two-pods", "--hard=pods=2", "-n", "team-c"]);
    await counted("team-c", "two-pods");
    await kubectl.ok(["create", "deployment", "web", "--image=busybox", "--replicas=3", "-n", "team-c"]);
    const cond = await eventually(async () => {
      const sets = (await json(["get", "rs", "-n", "team-c"])).items;
      return sets[0]?.status?.conditions?.find((c: { type: string }) => c.type === "ReplicaFailure");
    }, 30_000);
    assert.equal(cond.status, "True");
    assert.equal(cond.reason, "FailedCreate");
    assert.match(cond.message, /^pods "web-\w+-\w+" is forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, limited: pods=2$/);
    assert.match(await kubectl.ok(["get", "events", "-n", "team-c", "--field-selector", "reason=FailedCreate"]), /Error creating: pods "web-\w+-\w+" is forbidden: exceeded quota: two-pods/);
    assert.equal((await json(["get", "pods", "-n", "team-c"])).items.length, 2);
    // More room: the third pod comes, and the condition goes.
    await kubectl.ok(["patch", "quota", "two-pods", "-n", "team-c", "--type=merge", "-p", JSON.stringify({ spec: { hard: { pods: "3" } } })]);
    await eventually(async () => (await json(["get", "pods", "-n", "team-c"])).items.length === 3, 30_000);
    await eventually(async () => !(await json(["get", "rs", "-n", "team-c"])).items[0].status.conditions?.length, 30_000);
  });

  it("counts only the pods a scoped quota names, and ephemeral storage and extended resources", async () => {
    await kubectl.ok(["create", "namespace", "team-d"]);
    await kubectl.ok(["create", "quota", "best-effort", "--hard=pods=1", "--scopes=BestEffort", "-n", "team-d"]);
    await kubectl.ok(["create", "quota", "sized", "--hard=pods=5,requests.cpu=2,requests.ephemeral-storage=1Gi,requests.example.com/dongle=3", "--scopes=NotBestEffort", "-n", "team-d"]);
    await counted("team-d", "best-effort");
    await counted("team-d", "sized");
    await kubectl.ok(["apply", "-n", "team-d", "-f", "-"], { input: pod("free", {}) });
    const sized = { requests: { cpu: "500m", "ephemeral-storage": "300Mi", "example.com/dongle": "2" }, limits: { "example.com/dongle": "2" } };
    await kubectl.ok(["apply", "-n", "team-d", "-f", "-"], { input: pod("paid", sized) });
    assert.deepEqual((await json(["get", "quota", "best-effort", "-n", "team-d"])).status.used, { pods: "1" });
    assert.deepEqual((await json(["get", "quota", "sized", "-n", "team-d"])).status.used,
      { pods: "1", "requests.cpu": "500m", "requests.ephemeral-storage": "300Mi", "requests.example.com/dongle": "2" });
    // The BestEffort quota is full; a pod with requests is not its business.
    const refused = await kubectl.run(["apply", "-n", "team-d", "-f", "-"], { input: pod("free-2", {}) });
    assert.match(refused.stderr, /pods "free-2" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1/);
    const dongles = await kubectl.run(["apply", "-n", "team-d", "-f", "-"], { input: pod("paid-2", sized) });
    assert.match(dongles.stderr, /exceeded quota: sized, requested: requests\.example\.com\/dongle=2, used: requests\.example\.com\/dongle=2, limited: requests\.example\.com\/dongle=3/);
    // A recount (after a delete) agrees with what admission charged.
    await kubectl.ok(["delete", "pod", "free", "-n", "team-d", "--grace-period=0", "--force"]);
    await eventually(async () => (await json(["get", "quota", "best-effort", "-n", "team-d"])).status.used.pods === "0", 15_000);
    assert.equal((await json(["get", "quota", "sized", "-n", "team-d"])).status.used["requests.example.com/dongle"], "2");
  });

  it("counts custom resources by count/<plural>.<group>, for a CRD made after the quota too", async () => {
    await kubectl.ok(["create", "namespace", "team-e"]);
    // The quota comes first: its CRD is not served yet, so the count waits for discovery to find it.
    await kubectl.ok(["create", "quota", "widgets", "--hard=count/widgets.quota.example.com=1", "-n", "team-e"]);
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.quota.example.com" },
      spec: {
        group: "quota.example.com", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } } }],
      },
    };
    const crdText = JSON.stringify(crd).replace("x_kubernetes_preserve_unknown_fields", "x-kubernetes-preserve-unknown-fields");
    await kubectl.ok(["apply", "-f", "-"], { input: crdText });
    await kubectl.ok(["wait", "--for=condition=Established", "crd/widgets.quota.example.com", "--timeout=30s"]);
    await eventually(async () => (await json(["get", "quota", "widgets", "-n", "team-e"])).status?.used?.["count/widgets.quota.example.com"] === "0", 30_000);
    const widget = (name: string) => JSON.stringify({ apiVersion: "quota.example.com/v1", kind: "Widget", metadata: { name, namespace: "team-e" } });
    await kubectl.ok(["create", "-f", "-"], { input: widget("one") });
    const refused = await kubectl.run(["create", "-f", "-"], { input: widget("two") });
    assert.match(refused.stderr, /widgets\.quota\.example\.com "two" is forbidden: exceeded quota: widgets, requested: count\/widgets\.quota\.example\.com=1, used: count\/widgets\.quota\.example\.com=1, limited: count\/widgets\.quota\.example\.com=1/);
    // The delete gives the count back, by the controller's recount.
    await kubectl.ok(["delete", "widget", "one", "-n", "team-e"]);
    await eventually(async () => (await json(["get", "quota", "widgets", "-n", "team-e"])).status.used["count/widgets.quota.example.com"] === "0", 15_000);
    await kubectl.ok(["create", "-f", "-"], { input: widget("two") });
  });

  it("counts claims and their storage per storage class", async () => {
    await kubectl.ok(["create", "namespace", "team-f"]);
    await kubectl.ok(["create", "quota", "gold", "--hard=gold.storageclass.storage.k8s.io/requests.storage=1Gi,gold.storageclass.storage.k8s.io/persistentvolumeclaims=1", "-n", "team-f"]);
    await counted("team-f", "gold");
    const claim = (name: string, storageClassName: string) => JSON.stringify({
      apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "team-f" },
      spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "500Mi" } } },
    });
    await kubectl.ok(["create", "-f", "-"], { input: claim("first", "gold") });
    assert.deepEqual((await json(["get", "quota", "gold", "-n", "team-f"])).status.used,
      { "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1", "gold.storageclass.storage.k8s.io/requests.storage": "500Mi" });
    const refused = await kubectl.run(["create", "-f", "-"], { input: claim("second", "gold") });
    // Only what would go over is named: 1000Mi of storage still fits in 1Gi.
    assert.match(refused.stderr, /persistentvolumeclaims "second" is forbidden: exceeded quota: gold, requested: gold\.storageclass\.storage\.k8s\.io\/persistentvolumeclaims=1, used: gold\.storageclass\.storage\.k8s\.io\/persistentvolumeclaims=1, limited: gold\.storageclass\.storage\.k8s\.io\/persistentvolumeclaims=1$/m);
    // Another class's claim is not this quota's business.
    await kubectl.ok(["create", "-f", "-"], { input: claim("other", "silver") });
  });
});
