/**
 * What the controllers and simulated kubelets write, field by field as
 * upstream writes it, seen with kubectl: Endpoints and EndpointSlices of a
 * named targetPort, a StatefulSet's revisions, a Deployment's change-cause
 * history, a Service port's defaulted targetPort, and a pod's
 * activeDeadlineSeconds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

describe("fields as upstream writes them, on simulated nodes", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (...args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const apply = (o: unknown) => kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(o) });

  before(async () => {
    server = await startServer({ simNodes: 2 });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 2, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("resolves a named targetPort in each pod: pods with other numbers get their own subset and slice", async () => {
    const pod = (name: string, port: number) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "named" } },
      spec: { containers: [{ name: "c", image: "busybox", ports: [{ name: "http", containerPort: port }] }] } });
    await apply(pod("named-a", 8080));
    await apply(pod("named-b", 8080));
    await apply(pod("named-c", 9090));
    await apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "named-none", labels: { app: "named" } }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "named" }, spec: { selector: { app: "named" }, ports: [{ name: "web", port: 80, targetPort: "http" }] } });
    const byPort = (subsets: Json[]) => Object.fromEntries(subsets.map((s) => [s.ports?.[0]?.port, (s.addresses ?? []).map((a: Json) => a.targetRef.name).sort()]));
    const ep = await eventually(async () => {
      const e = await json("get", "endpoints", "named");
      const got = byPort(e.subsets ?? []);
      return got[8080]?.length === 2 && got[9090]?.length === 1 ? e : undefined;
    }, 30_000);
    assert.deepEqual(byPort(ep!.subsets), { 8080: ["named-a", "named-b"], 9090: ["named-c"] }, "the pod without the port is in none");
    for (const s of ep!.subsets) assert.deepEqual(s.ports.map((p: Json) => p.name), ["web"]);
    const slices = (await json("get", "endpointslices", "-l", "kubernetes.io/service-name=named")).items as Json[];
    const sliceByPort = Object.fromEntries(slices.map((s) => [(s.ports ?? []).map((p: Json) => `${p.name}/${p.protocol}/${p.port}`).join(",") || "none",
      (s.endpoints ?? []).map((e: Json) => e.targetRef.name).sort()]));
    assert.deepEqual(sliceByPort, { "web/TCP/8080": ["named-a", "named-b"], "web/TCP/9090": ["named-c"], none: ["named-none"] });
  });

  it("stamps Endpoints and EndpointSlices with the time of the change they reflect (endpoints.kubernetes.io/last-change-trigger-time)", async () => {
    const TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time";
    const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "trig" } }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    const readySince = async (name: string) => (await json("get", "pod", name)).status.conditions.find((c: Json) => c.type === "Ready").lastTransitionTime as string;
    const stamps = async (addresses: number) => {
      const ep = await json("get", "endpoints", "trig");
      if ((ep.subsets?.[0]?.addresses ?? []).length !== addresses) return undefined;
      const slices = (await json("get", "endpointslices", "-l", "kubernetes.io/service-name=trig")).items as Json[];
      if (slices.length !== 1 || (slices[0]!.endpoints ?? []).length !== addresses) return undefined;
      return { endpoints: ep.metadata.annotations?.[TRIGGER], slice: slices[0]!.metadata.annotations?.[TRIGGER] };
    };
    await apply(pod("trig-a"));
    await eventually(async () => (await json("get", "pod", "trig-a")).status?.podIP, 30_000);
    await kubectl.ok(["wait", "--for=condition=Ready", "pod/trig-a", "--timeout=30s"]);
    // Seconds apart, so that the Service's creation and the pods' readiness are told apart by the second.
    await new Promise((r) => setTimeout(r, 1100));
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "trig" }, spec: { selector: { app: "trig" }, ports: [{ port: 80 }] } });
    const created = (await json("get", "service", "trig")).metadata.creationTimestamp;
    assert.deepEqual(await eventually(() => stamps(1), 30_000), { endpoints: created, slice: created }, "a new Service's endpoints count from its creation");

    await new Promise((r) => setTimeout(r, 1100));
    await apply(pod("trig-b"));
    const got = await eventually(() => stamps(2), 30_000);
    const ready = await readySince("trig-b");
    assert.notEqual(ready, created);
    assert.deepEqual(got, { endpoints: ready, slice: ready }, "a pod's readiness counts from its Ready condition's lastTransitionTime");

    // A pod's removal is no trigger upstream's tracker sees: the annotation goes, as upstream clears it.
    await kubectl.ok(["delete", "pod", "trig-b", "--wait=true"]);
    assert.deepEqual(await eventually(() => stamps(1), 30_000), { endpoints: undefined, slice: undefined });
  });

  it("defaults a Service port's targetPort of 0 (client-go's unset value) to its port", async () => {
    await apply({ apiVersion: "v1", kind: "Service", metadata: { name: "zero" }, spec: { selector: { app: "zero" }, ports: [{ name: "a", port: 80, targetPort: 0 }, { name: "b", port: 81 }] } });
    const svc = await json("get", "service", "zero");
    assert.deepEqual(svc.spec.ports.map((p: Json) => p.targetPort), [80, 81]);
  });

  it("labels a StatefulSet's pods with the revision's name, <set>-<hash>, which status.currentRevision and updateRevision name", async () => {
    const set = (image: string) => ({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "rev" },
      spec: { replicas: 2, serviceName: "rev", selector: { matchLabels: { app: "rev" } }, template: { metadata: { labels: { app: "rev" } }, spec: { containers: [{ name: "c", image }] } } } });
    await apply(set("busybox:1"));
    await kubectl.ok(["rollout", "status", "sts/rev", "--timeout=60s"]);
    const first = await json("get", "sts", "rev");
    assert.match(first.status.updateRevision, /^rev-[0-9a-z]+$/);
    assert.equal(first.status.currentRevision, first.status.updateRevision);
    const revisions = (await json("get", "controllerrevisions", "-l", "app=rev")).items as Json[];
    assert.deepEqual(revisions.map((r) => r.metadata.name), [first.status.updateRevision]);
    assert.equal(`rev-${revisions[0]!.metadata.labels["controller-revision-hash"]}`, first.status.updateRevision);
    for (const name of ["rev-0", "rev-1"]) {
      const p = await json("get", "pod", name);
      assert.equal(p.metadata.labels["controller-revision-hash"], first.status.currentRevision);
      assert.equal(p.metadata.labels["statefulset.kubernetes.io/pod-name"], name);
    }

    // A partitioned update: rev-1 moves to the new revision, rev-0 stays, and the current revision with it.
    await apply({ ...set("busybox:2"), spec: { ...set("busybox:2").spec, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } } });
    const mid = await eventually(async () => {
      const s = await json("get", "sts", "rev");
      return s.status.updatedReplicas === 1 && s.status.readyReplicas === 2 ? s : undefined;
    }, 30_000);
    assert.notEqual(mid!.status.updateRevision, first.status.updateRevision);
    assert.equal(mid!.status.currentRevision, first.status.currentRevision);
    assert.equal(mid!.status.currentReplicas, 1);
    assert.equal((await json("get", "pod", "rev-1")).metadata.labels["controller-revision-hash"], mid!.status.updateRevision);
    assert.equal((await json("get", "pod", "rev-0")).metadata.labels["controller-revision-hash"], first.status.currentRevision);
    // A pod below the partition that is deleted comes back at the current revision, from its template.
    const oldUid = (await json("get", "pod", "rev-0")).metadata.uid;
    await kubectl.ok(["delete", "pod", "rev-0", "--wait=false"]);
    const again = await eventually(async () => {
      const p = await json("get", "pod", "rev-0").catch(() => undefined);
      return p && p.metadata.uid !== oldUid ? p : undefined;
    }, 30_000);
    assert.equal(again!.metadata.labels["controller-revision-hash"], first.status.currentRevision);
    assert.equal(again!.spec.containers[0].image, "busybox:1");

    await kubectl.ok(["patch", "sts/rev", "-p", JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } })]);
    const done = await eventually(async () => {
      const s = await json("get", "sts", "rev");
      return s.status.currentRevision === mid!.status.updateRevision ? s : undefined;
    }, 30_000);
    assert.equal(done!.status.currentReplicas, 2);
    assert.equal(done!.status.updatedReplicas, 2);
  });

  it("copies a Deployment's change-cause to its ReplicaSets, so that kubectl rollout history shows it", async () => {
    await kubectl.ok(["create", "deployment", "cause", "--image=busybox:1"]);
    await kubectl.ok(["annotate", "deployment/cause", "kubernetes.io/change-cause=first version"]);
    await kubectl.ok(["rollout", "status", "deployment/cause", "--timeout=60s"]);
    await kubectl.ok(["set", "image", "deployment/cause", "busybox=busybox:2"]);
    await kubectl.ok(["annotate", "deployment/cause", "kubernetes.io/change-cause=second version", "--overwrite"]);
    await kubectl.ok(["rollout", "status", "deployment/cause", "--timeout=60s"]);
    await eventually(async () => /^2\s+second version$/m.test(await kubectl.ok(["rollout", "history", "deployment/cause"])), 30_000);
    const history = await kubectl.ok(["rollout", "history", "deployment/cause"]);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(history, /^1\s+first version$/m);
    assert.match(history, /^2\s+second version$/m);

    // A rollback makes the first set the newest again: revision 3, its earlier number kept in revision-history.
    await kubectl.ok(["rollout", "undo", "deployment/cause", "--to-revision=1"]);
    await kubectl.ok(["rollout", "status", "deployment/cause", "--timeout=60s"]);
    const sets = (await json("get", "rs", "-l", "app=cause")).items as Json[];
    const old = sets.find((rs) => rs.spec.template.spec.containers[0].image === "busybox:1")!;
    await eventually(async () => (await json("get", "rs", old.metadata.name)).metadata.annotations["deployment.kubernetes.io/revision"] === "3", 30_000);
    const rolledBack = await json("get", "rs", old.metadata.name);
    assert.equal(rolledBack.metadata.annotations["deployment.kubernetes.io/revision-history"], "1");
    assert.equal((await json("get", "deployment", "cause")).metadata.annotations["deployment.kubernetes.io/revision"], "3");
    assert.match(await kubectl.ok(["rollout", "history", "deployment/cause"]), /^3\s+first version$/m);
  });

  it("fails a pod past its activeDeadlineSeconds with DeadlineExceeded; the deadline may be lowered on a running pod, never raised", async () => {
    await apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "deadline" }, spec: { activeDeadlineSeconds: 3600, containers: [{ name: "c", image: "busybox" }] } });
    await eventually(async () => (await json("get", "pod", "deadline")).status.phase === "Running", 30_000);
    const raised = await kubectl.run(["patch", "pod/deadline", "-p", JSON.stringify({ spec: { activeDeadlineSeconds: 7200 } })]);
    assert.notEqual(raised.code, 0);
    assert.match(raised.stderr, /spec\.activeDeadlineSeconds: Invalid value: 7200: must be less than or equal to previous value/);
    const unset = await kubectl.run(["patch", "pod/deadline", "--type=json", "-p", JSON.stringify([{ op: "remove", path: "/spec/activeDeadlineSeconds" }])]);
    assert.match(unset.stderr, /must not update from a positive integer to nil value/);
    assert.equal((await json("get", "pod", "deadline")).status.phase, "Running", "an hour is far away");

    await kubectl.ok(["patch", "pod/deadline", "-p", JSON.stringify({ spec: { activeDeadlineSeconds: 1 } })]);
    const failed = await eventually(async () => { const p = await json("get", "pod", "deadline"); return p.status.phase === "Failed" ? p : undefined; }, 30_000);
    assert.equal(failed!.status.reason, "DeadlineExceeded");
    assert.equal(failed!.status.message, "Pod was active on the node longer than the specified deadline");
    assert.ok(failed!.status.containerStatuses[0].state.terminated, "its container is killed");
    assert.equal(failed!.status.conditions.find((c: Json) => c.type === "Ready").status, "False");

    // Set on a running pod that had none, it counts from the pod's start.
    await apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "deadline-later" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    await eventually(async () => (await json("get", "pod", "deadline-later")).status.phase === "Running", 30_000);
    await kubectl.ok(["patch", "pod/deadline-later", "-p", JSON.stringify({ spec: { activeDeadlineSeconds: 2 } })]);
    await eventually(async () => (await json("get", "pod", "deadline-later")).status.reason === "DeadlineExceeded", 30_000);
  });
});
