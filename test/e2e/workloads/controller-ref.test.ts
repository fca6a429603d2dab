/**
 * ControllerRef adoption and release, as upstream's conformance tests check
 * them with kubectl on simulated nodes: a controller adopts the orphan pods
 * (or ReplicaSets) its selector matches and lets go of those whose labels
 * stop matching.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

interface Ref { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }
interface Meta { name: string; uid: string; labels?: Record<string, string>; ownerReferences?: Ref[]; deletionTimestamp?: string }

describe("ControllerRef adoption and release", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const get = async (what: string): Promise<{ metadata: Meta; status?: { phase?: string } }> => JSON.parse(await kubectl.ok(["get", what, "-o", "json"]));
  const list = async (what: string, selector: string): Promise<{ metadata: Meta }[]> => JSON.parse(await kubectl.ok(["get", what, "-l", selector, "-o", "json"])).items;
  const apply = (o: unknown) => kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(o) });
  const controllerOf = (m: Meta) => m.ownerReferences?.find((r) => r.controller);
  const pod = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: "c", image: "busybox" }] } });

  before(async () => {
    server = await startServer({ simNodes: 2 });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 2, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("a ReplicaSet adopts a matching orphan pod on creation, and releases a pod whose labels stop matching", async () => {
    await apply(pod("pod-adoption-release", { name: "pod-adoption-release" }));
    await apply({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "pod-adoption-release" },
      spec: { replicas: 1, selector: { matchLabels: { name: "pod-adoption-release" } }, template: template({ name: "pod-adoption-release" }) } });
    const rs = await get("rs/pod-adoption-release");
    const ref = await eventually(async () => controllerOf((await get("pod/pod-adoption-release")).metadata), 30_000);
    assert.deepEqual(ref, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "pod-adoption-release", uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true });
    // The adopted pod counts: the set makes no second one.
    await eventually(async () => (await kubectl.ok(["get", "rs/pod-adoption-release", "-o", "jsonpath={.status.replicas}"])) === "1", 30_000);
    assert.equal((await list("pods", "name=pod-adoption-release")).length, 1);

    await kubectl.ok(["label", "pod/pod-adoption-release", "name=not-matching-name", "--overwrite"]);
    await eventually(async () => controllerOf((await get("pod/pod-adoption-release")).metadata) === undefined, 30_000);
    // Released, it is replaced.
    await eventually(async () => (await list("pods", "name=pod-adoption-release")).length === 1, 30_000);
    const replacement = (await list("pods", "name=pod-adoption-release"))[0]!;
    assert.notEqual(replacement.metadata.name, "pod-adoption-release");
    assert.equal(controllerOf(replacement.metadata)?.uid, rs.metadata.uid);
  });

  it("two ReplicaSets that select one orphan: one of them owns it, never both", async () => {
    await apply(pod("twin", { app: "twin" }));
    for (const name of ["twin-a", "twin-b"]) {
      await apply({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name }, spec: { replicas: 1, selector: { matchLabels: { app: "twin" } }, template: template({ app: "twin" }) } });
    }
    await eventually(async () => controllerOf((await get("pod/twin")).metadata) !== undefined, 30_000);
    // Both sets settle at one pod each; the orphan is one of them.
    await eventually(async () => (await list("pods", "app=twin")).length === 2, 30_000);
    const refs = (await get("pod/twin")).metadata.ownerReferences ?? [];
    assert.equal(refs.filter((r) => r.controller).length, 1);
    const bad = await kubectl.run(["patch", "pod/twin", "--type=json", "-p", JSON.stringify([{ op: "add", path: "/metadata/ownerReferences/-", value: { ...refs[0], name: "other", uid: "00000000-0000-0000-0000-000000000000" } }])]);
    assert.match(bad.stderr, /Only one reference can have Controller set to true/);
  });

  it("a ReplicationController adopts a matching orphan pod and releases a pod whose labels stop matching", async () => {
    await apply(pod("rc-adopt", { name: "rc-adopt" }));
    await apply({ apiVersion: "v1", kind: "ReplicationController", metadata: { name: "rc-adopt" }, spec: { replicas: 1, selector: { name: "rc-adopt" }, template: template({ name: "rc-adopt" }) } });
    const rc = await get("rc/rc-adopt");
    const ref = await eventually(async () => controllerOf((await get("pod/rc-adopt")).metadata), 30_000);
    assert.deepEqual(ref, { apiVersion: "v1", kind: "ReplicationController", name: "rc-adopt", uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true });
    await kubectl.ok(["label", "pod/rc-adopt", "name=other", "--overwrite"]);
    await eventually(async () => controllerOf((await get("pod/rc-adopt")).metadata) === undefined, 30_000);
  });

  it("a Job re-adopts a pod orphaned from it, and releases one whose labels are removed", async () => {
    await apply({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "adopt-release" },
      spec: { parallelism: 2, completions: 4, template: { metadata: { labels: { app: "adopt-release" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["sleep", "3600"] }] } } } });
    const job = await get("job/adopt-release");
    const first = await eventually(async () => (await list("pods", "app=adopt-release"))[0], 30_000);
    // Orphaned (its ownerReferences dropped by a PUT), the pod is the Job's again.
    const body = JSON.parse(await kubectl.ok(["get", `pod/${first.metadata.name}`, "-o", "json"]));
    delete body.metadata.ownerReferences;
    await kubectl.ok(["replace", "-f", "-"], { input: JSON.stringify(body) });
    await eventually(async () => controllerOf((await get(`pod/${first.metadata.name}`)).metadata)?.uid === job.metadata.uid, 30_000);

    await kubectl.ok(["label", `pod/${first.metadata.name}`, "batch.kubernetes.io/controller-uid-", "controller-uid-"]);
    await eventually(async () => controllerOf((await get(`pod/${first.metadata.name}`)).metadata) === undefined, 30_000);
  });

  it("a StatefulSet adopts its orphaned pod, releases it when its labels go, and adopts it back", async () => {
    await apply({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "ss" },
      spec: { replicas: 1, serviceName: "ss", selector: { matchLabels: { app: "ss" } }, template: template({ app: "ss" }) } });
    const set = await get("sts/ss");
    await eventually(async () => (await get("pod/ss-0").catch(() => undefined))?.status?.phase === "Running", 30_000);
    const body = JSON.parse(await kubectl.ok(["get", "pod/ss-0", "-o", "json"]));
    delete body.metadata.ownerReferences;
    await kubectl.ok(["replace", "-f", "-"], { input: JSON.stringify(body) });
    await eventually(async () => controllerOf((await get("pod/ss-0")).metadata)?.uid === set.metadata.uid, 30_000);
    const labels = (await get("pod/ss-0")).metadata.labels!;

    const unlabelled = JSON.parse(await kubectl.ok(["get", "pod/ss-0", "-o", "json"]));
    delete unlabelled.metadata.labels;
    await kubectl.ok(["replace", "-f", "-"], { input: JSON.stringify(unlabelled) });
    await eventually(async () => controllerOf((await get("pod/ss-0")).metadata) === undefined, 30_000);

    const relabelled = JSON.parse(await kubectl.ok(["get", "pod/ss-0", "-o", "json"]));
    relabelled.metadata.labels = labels;
    await kubectl.ok(["replace", "-f", "-"], { input: JSON.stringify(relabelled) });
    await eventually(async () => controllerOf((await get("pod/ss-0")).metadata)?.uid === set.metadata.uid, 30_000);
  });

  it("a pod named like no ordinal of a StatefulSet is not adopted by it, whatever its labels", async () => {
    await apply(pod("stranger", { app: "ss" }));
    // The set is woken by the pod and looks at it; give it the time a wake-up takes, then check it let it be.
    await kubectl.ok(["scale", "sts/ss", "--replicas=2"]);
    await eventually(async () => (await get("pod/ss-1").catch(() => undefined))?.status?.phase === "Running", 30_000);
    assert.equal(controllerOf((await get("pod/stranger")).metadata), undefined);
  });

  it("a DaemonSet adopts the orphaned daemon pods of a set deleted with --cascade=orphan", async () => {
    const ds = (name: string) => ({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name }, spec: { selector: { matchLabels: { app: "daemon" } }, template: template({ app: "daemon" }) } });
    await apply(ds("daemon-a"));
    await eventually(async () => (await list("pods", "app=daemon")).length === 2, 30_000);
    const before = (await list("pods", "app=daemon")).map((p) => p.metadata.name).sort();
    await kubectl.ok(["delete", "ds/daemon-a", "--cascade=orphan"]);
    await eventually(async () => (await list("pods", "app=daemon")).every((p) => !controllerOf(p.metadata)), 30_000);
    await apply(ds("daemon-b"));
    const b = await get("ds/daemon-b");
    await eventually(async () => (await list("pods", "app=daemon")).every((p) => controllerOf(p.metadata)?.uid === b.metadata.uid), 30_000);
    assert.deepEqual((await list("pods", "app=daemon")).map((p) => p.metadata.name).sort(), before, "the same pods, none made anew");
  });

  it("a Deployment adopts the ReplicaSet of a Deployment deleted with --cascade=orphan, and makes no new one", async () => {
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "adopter" },
      spec: { replicas: 2, selector: { matchLabels: { app: "adopter" } }, template: template({ app: "adopter" }) } };
    await apply(deployment);
    await kubectl.ok(["rollout", "status", "deployment/adopter", "--timeout=60s"]);
    const [rs] = await list("rs", "app=adopter");
    await kubectl.ok(["delete", "deployment/adopter", "--cascade=orphan"]);
    await eventually(async () => !controllerOf((await get(`rs/${rs!.metadata.name}`)).metadata), 30_000);
    await apply(deployment);
    const d = await get("deployment/adopter");
    await eventually(async () => controllerOf((await get(`rs/${rs!.metadata.name}`)).metadata)?.uid === d.metadata.uid, 30_000);
    await kubectl.ok(["rollout", "status", "deployment/adopter", "--timeout=60s"]);
    assert.deepEqual((await list("rs", "app=adopter")).map((s) => s.metadata.name), [rs!.metadata.name]);
  });
});
