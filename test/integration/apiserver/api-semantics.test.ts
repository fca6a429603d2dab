/** Object semantics of the API server, checked over HTTPS as a client sees them. */
import assert from "node:assert/strict";
import https from "node:https";
import { describe, it } from "node:test";
import type { KubeObject, WatchEventOf } from "../../../src/client/index.js";
import { startControlPlane } from "../../helpers/control-plane.js";
import { kubeconfigAgent } from "../../helpers/kubeconfig-agent.js";
import { eventually } from "../../helpers/kubectl.js";

const cm = { group: "", version: "v1", resource: "configmaps", namespaced: true };
const pods = { group: "", version: "v1", resource: "pods", namespaced: true };
const ns = { group: "", version: "v1", resource: "namespaces", namespaced: false };
const deployments = { group: "apps", version: "v1", resource: "deployments", namespaced: true };
const services = { group: "", version: "v1", resource: "services", namespaced: true };

const isCode = (code: number) => (e: unknown) => (e as { code?: number }).code === code;
type Obj = KubeObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function deployment(name: string, replicas = 1): KubeObject {
  return {
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] } } },
  };
}

describe("API semantics", () => {
  it("fills metadata and defaults on create, refuses a stale update and keeps the RV on a no-op", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const d = await c.create<Obj>(deployments, "default", deployment("web"));
    assert.match(d.metadata.uid as string, /^[0-9a-f-]{36}$/);
    assert.match(d.metadata.creationTimestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(d.metadata.generation, 1);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    const c0 = d.spec.template.spec.containers[0];
    assert.equal(c0.imagePullPolicy, "IfNotPresent");
    assert.equal(c0.terminationMessagePath, "/dev/termination-log");
    assert.equal(d.spec.template.spec.restartPolicy, "Always");
    assert.equal(d.spec.template.spec.dnsPolicy, "ClusterFirst");
    assert.equal(d.spec.template.spec.schedulerName, "default-scheduler");

    const same = await c.update<Obj>(deployments, "default", d);
    assert.equal(same.metadata.resourceVersion, d.metadata.resourceVersion, "a no-op update keeps the resourceVersion");
    const labelled = await c.patch<Obj>(deployments, "default", "web", { metadata: { labels: { x: "y" } } });
    assert.equal(labelled.metadata.generation, 1, "metadata changes do not bump generation");
    const scaled = await c.patch<Obj>(deployments, "default", "web", { spec: { replicas: 3 } });
    assert.equal(scaled.metadata.generation, 2, "spec changes bump generation");
    const annotated = await c.patch<Obj>(deployments, "default", "web", { metadata: { annotations: { team: "a" } } });
    assert.equal(annotated.metadata.generation, 3, "a Deployment's annotations bump generation: they go to its ReplicaSets");
    const statusPatched = await c.patch<Obj>(deployments, "default", "web", { metadata: { labels: { x: "from-status" } }, status: { readyReplicas: 0 } }, "merge", "status");
    assert.equal(statusPatched.metadata.labels?.x, "y", "a status write keeps a Deployment's labels");
    assert.equal(statusPatched.status.readyReplicas, 0);
    await assert.rejects(c.update(deployments, "default", d), isCode(409));
    await assert.rejects(c.patch(deployments, "default", "web", { metadata: { resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 9 } }), isCode(409));
  });

  it("generates names from generateName as upstream: the base cut to 58 characters and five random ones", async () => {
    await using cp = await startControlPlane();
    const long = "a".repeat(70);
    const made = await cp.client.create<Obj>(cm, "default", { metadata: { generateName: long } });
    assert.match(made.metadata.name as string, /^a{58}[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(made.metadata.generateName, long);
    const again = await cp.client.create<Obj>(cm, "default", { metadata: { generateName: "short-" } });
    assert.match(again.metadata.name as string, /^short-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await assert.rejects(cp.client.create(cm, "default", { metadata: {} }), (e: unknown) => isCode(422)(e) && /name or generateName is required/.test(String((e as Error).message)));
  });

  it("orphans the dependents of ReplicationControllers and batch/v1 Jobs by default, and warns for Jobs", async () => {
    await using cp = await startControlPlane();
    const { server, agent } = kubeconfigAgent(cp.kubeconfig);
    const del = (path: string, options?: object) => new Promise<{ code: number; warning: string }>((resolve, reject) => {
      const body = options ? JSON.stringify(options) : undefined;
      // Node sends a DELETE's body unframed unless told its length.
      const headers = body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {};
      const req = https.request(server + path, { method: "DELETE", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve({ code: res.statusCode ?? 0, warning: String(res.headers.warning ?? "") }));
      });
      req.on("error", reject);
      req.end(body);
    });
    const rcs = { group: "", version: "v1", resource: "replicationcontrollers", namespaced: true };
    const jobs = { group: "batch", version: "v1", resource: "jobs", namespaced: true };
    const template = { metadata: { labels: { app: "x" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } };
    try {
      for (const name of ["rc-default", "rc-background"]) await cp.client.create(rcs, "default", { metadata: { name }, spec: { replicas: 0, template } });
      for (const name of ["job-default", "job-orphan"]) await cp.client.create(jobs, "default", { metadata: { name }, spec: { template } });
      // No garbage collector runs here: an orphaning delete leaves the object marked, with the orphan finalizer.
      assert.equal((await del("/api/v1/namespaces/default/replicationcontrollers/rc-default")).code, 202, "accepted: the object waits for its finalizer");
      const rc = await cp.client.get<Obj>(rcs, "default", "rc-default");
      assert.deepEqual(rc.metadata.finalizers, ["orphan"]);
      assert.ok(rc.metadata.deletionTimestamp);
      assert.equal((await del("/api/v1/namespaces/default/replicationcontrollers/rc-background", { propagationPolicy: "Background" })).code, 200);
      await assert.rejects(cp.client.get(rcs, "default", "rc-background"), isCode(404));

      const job = await del("/apis/batch/v1/namespaces/default/jobs/job-default");
      assert.match(job.warning, /child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning/);
      assert.deepEqual((await cp.client.get<Obj>(jobs, "default", "job-default")).metadata.finalizers, ["orphan"]);
      const orphan = await del("/apis/batch/v1/namespaces/default/jobs/job-orphan", { propagationPolicy: "Orphan" });
      assert.equal(orphan.warning, "", "a policy the client chose is not warned about");
    } finally {
      agent.destroy();
    }
  });

  it("writes spec and status apart through the status subresource", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const d = await c.create<Obj>(deployments, "default", { ...deployment("split"), status: { replicas: 7 } } as KubeObject);
    assert.equal(d.status, undefined, "status given on create is dropped");
    const withStatus = await c.update<Obj>(deployments, "default", { ...d, spec: { ...d.spec, replicas: 5 }, status: { replicas: 2, observedGeneration: 1 } } as KubeObject, "status");
    assert.equal(withStatus.status.replicas, 2);
    assert.equal(withStatus.spec.replicas, 1, "a status write leaves spec alone");
    const main = await c.update<Obj>(deployments, "default", { ...withStatus, status: { replicas: 99 } } as KubeObject);
    assert.equal(main.status.replicas, 2, "a main-resource write leaves status alone");
    const scale = await c.request<Obj>("GET", "/apis/apps/v1/namespaces/default/deployments/split/scale");
    assert.equal(scale.kind, "Scale");
    assert.equal(scale.status.selector, "app=split");
  });

  it("serves each subresource with its own verbs: binding once, finalize by PUT, scale of a ReplicationController", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    await c.create(pods, "default", { metadata: { name: "bind-me" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    const bound = await c.request<Obj>("POST", "/api/v1/namespaces/default/pods/bind-me/binding", { metadata: { name: "bind-me" }, target: { kind: "Node", name: "n1" } });
    assert.equal(bound.status, "Success");
    const pod = await c.get<Obj>(pods, "default", "bind-me");
    assert.equal(pod.spec.nodeName, "n1");
    assert.equal(pod.status.conditions.find((x: Obj) => x.type === "PodScheduled")?.status, "True");
    await assert.rejects(c.request("POST", "/api/v1/namespaces/default/pods/bind-me/binding", { target: { kind: "Node", name: "n2" } }), isCode(409));
    await assert.rejects(c.request("GET", "/api/v1/namespaces/default/pods/bind-me/binding"), isCode(405));
    await assert.rejects(c.request("DELETE", "/api/v1/namespaces/default/pods/bind-me/status"), isCode(405));
    assert.equal((await c.get<Obj>(pods, "default", "bind-me")).metadata.name, "bind-me", "a DELETE of status deletes nothing");
    await assert.rejects(c.request("GET", "/api/v1/namespaces/default/configmaps/x/status"), isCode(404));

    await c.create(ns, undefined, { metadata: { name: "final" } });
    await assert.rejects(c.request("GET", "/api/v1/namespaces/final/finalize"), isCode(405));
    const finalized = await c.request<Obj>("PUT", "/api/v1/namespaces/final/finalize", { metadata: { name: "final" }, spec: { finalizers: [] }, status: { phase: "Terminating" } });
    assert.deepEqual(finalized.spec.finalizers, []);
    assert.equal(finalized.status.phase, "Active", "finalize writes only spec.finalizers");

    const rcs = { group: "", version: "v1", resource: "replicationcontrollers", namespaced: true };
    await c.create(rcs, "default", { metadata: { name: "rc" }, spec: { template: { metadata: { labels: { app: "rc", tier: "x" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } });
    const scale = await c.request<Obj>("PUT", "/api/v1/namespaces/default/replicationcontrollers/rc/scale", { metadata: { name: "rc" }, spec: { replicas: 3 } });
    assert.deepEqual([scale.spec.replicas, scale.status.selector], [3, "app=rc,tier=x"]);
    assert.equal((await c.get<Obj>(rcs, "default", "rc")).spec.replicas, 3);
  });

  it("lists in pages with continue tokens and label and field selectors", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    for (let i = 0; i < 7; i++) await c.create(cm, "default", { metadata: { name: `p${i}`, labels: { parity: i % 2 ? "odd" : "even" } } });
    const page1 = await c.list(cm, "default", { limit: 3 });
    assert.deepEqual(page1.items.map((i) => i.metadata.name), ["p0", "p1", "p2"]);
    assert.ok(page1.metadata.continue);
    assert.equal((page1.metadata as { remainingItemCount?: number }).remainingItemCount, 4);
    const page2 = await c.list(cm, "default", { limit: 3, continue: page1.metadata.continue });
    assert.deepEqual(page2.items.map((i) => i.metadata.name), ["p3", "p4", "p5"]);
    const page3 = await c.list(cm, "default", { limit: 3, continue: page2.metadata.continue });
    assert.deepEqual(page3.items.map((i) => i.metadata.name), ["p6"]);
    assert.equal(page3.metadata.continue, undefined);
    assert.deepEqual((await c.list(cm, "default", { labelSelector: "parity in (odd)" })).items.map((i) => i.metadata.name), ["p1", "p3", "p5"]);
    assert.deepEqual((await c.list(cm, "default", { labelSelector: "parity!=odd", limit: 2 })).items.map((i) => i.metadata.name), ["p0", "p2"]);
    assert.deepEqual((await c.list(cm, "default", { fieldSelector: "metadata.name=p4" })).items.map((i) => i.metadata.name), ["p4"]);
    await assert.rejects(c.list(cm, "default", { fieldSelector: "spec.nodeName=x" }), isCode(400));
    await c.create(pods, "default", { metadata: { name: "on-n1" }, spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox" }] } });
    await c.create(pods, "default", { metadata: { name: "unbound" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    assert.deepEqual((await c.list(pods, undefined, { fieldSelector: "spec.nodeName=n1,status.phase!=Succeeded" })).items.map((i) => i.metadata.name), ["on-n1"]);
  });

  it("watches: synthetic ADDED from 0, changes only after N, selector transitions, and 410 once compacted", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const a = await c.create(cm, "default", { metadata: { name: "a", labels: { w: "1" } } });
    const collect = (params: Record<string, string>, until: (e: WatchEventOf<KubeObject>[]) => boolean) => {
      const events: WatchEventOf<KubeObject>[] = [];
      const abort = new AbortController();
      const done = c.watch(cm, "default", params, (e) => { events.push(e); if (until(events)) abort.abort(); }, abort.signal);
      return { events, done, abort };
    };
    const fromZero = collect({ resourceVersion: "0", labelSelector: "w=1" }, (e) => e.length >= 3);
    const fromNow = collect({ resourceVersion: a.metadata.resourceVersion! }, (e) => e.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    await c.create(cm, "default", { metadata: { name: "b", labels: { w: "1" } } });
    await c.patch(cm, "default", "a", { metadata: { labels: { w: "2" } } });
    await c.delete(cm, "default", "b");
    await eventually(() => fromZero.events.length >= 3 && fromNow.events.length >= 3);
    fromZero.abort.abort();
    fromNow.abort.abort();
    assert.deepEqual(fromZero.events.map((e) => [e.type, e.object.metadata.name]), [["ADDED", "a"], ["ADDED", "b"], ["DELETED", "a"]]);
    assert.deepEqual(fromNow.events.map((e) => [e.type, e.object.metadata.name]), [["ADDED", "b"], ["MODIFIED", "a"], ["DELETED", "b"]]);

    await cp.store.compact(await cp.store.currentRevision());
    const expired = collect({ resourceVersion: a.metadata.resourceVersion! }, (e) => e.length >= 1);
    await eventually(() => expired.events.length >= 1);
    expired.abort.abort();
    assert.equal(expired.events[0]!.type, "ERROR");
    assert.equal((expired.events[0]!.object as unknown as { code: number; reason: string }).code, 410);
    assert.equal((expired.events[0]!.object as unknown as { reason: string }).reason, "Expired");
  });

  it("holds objects with finalizers until the last one is removed, and deletes pods gracefully", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    await c.create(cm, "default", { metadata: { name: "held", finalizers: ["example.com/hold"] } });
    await c.delete(cm, "default", "held");
    const marked = await c.get(cm, "default", "held");
    assert.ok(marked.metadata.deletionTimestamp, "deletionTimestamp is set");
    await c.patch(cm, "default", "held", { metadata: { finalizers: null } });
    await assert.rejects(c.get(cm, "default", "held"), isCode(404));

    await c.create(pods, "default", { metadata: { name: "running" }, spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox" }] } });
    await c.delete(pods, "default", "running");
    const terminating = await c.get(pods, "default", "running");
    assert.equal(terminating.metadata.deletionGracePeriodSeconds, 30);
    await c.delete(pods, "default", "running", { gracePeriodSeconds: 0 });
    await assert.rejects(c.get(pods, "default", "running"), isCode(404));
    await c.create(pods, "default", { metadata: { name: "pending" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    await c.delete(pods, "default", "pending");
    await assert.rejects(c.get(pods, "default", "pending"), isCode(404), "an unscheduled pod goes at once");
  });

  it("marks a deleted namespace Terminating and refuses new content in it", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    await c.create(ns, undefined, { metadata: { name: "doomed" } });
    await c.delete(ns, undefined, "doomed");
    const n = await c.get<Obj>(ns, undefined, "doomed");
    assert.equal(n.status.phase, "Terminating");
    await assert.rejects(c.create(cm, "doomed", { metadata: { name: "late" } }), isCode(403));
    await assert.rejects(c.create(cm, "nowhere", { metadata: { name: "x" } }), isCode(404));
  });

  it("allocates ClusterIPs and NodePorts once and releases them on delete", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const svc = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...extra } });
    const a = await c.create<Obj>(services, "default", svc("a", { type: "NodePort" }));
    const b = await c.create<Obj>(services, "default", svc("b", { type: "NodePort" }));
    assert.notEqual(a.spec.clusterIP, b.spec.clusterIP);
    assert.match(a.spec.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.notEqual(a.spec.ports[0].nodePort, b.spec.ports[0].nodePort);
    assert.equal(a.spec.ports[0].targetPort, 80);
    await assert.rejects(c.create(services, "default", svc("c", { clusterIP: a.spec.clusterIP })), isCode(422));
    await assert.rejects(c.create(services, "default", svc("d", { type: "NodePort", ports: [{ port: 80, nodePort: a.spec.ports[0].nodePort }] })), isCode(422));
    await assert.rejects(c.patch(services, "default", "a", { spec: { clusterIP: "10.96.200.200" } }), isCode(422), "clusterIP is immutable");
    await c.delete(services, "default", "a");
    const reuse = await c.create<Obj>(services, "default", svc("e", { clusterIP: a.spec.clusterIP, type: "NodePort", ports: [{ port: 80, nodePort: a.spec.ports[0].nodePort }] }));
    assert.equal(reuse.spec.clusterIP, a.spec.clusterIP, "a released address can be taken again");
    const headless = await c.create<Obj>(services, "default", svc("h", { clusterIP: "None" }));
    assert.equal(headless.spec.clusterIP, "None");
  });

  it("deletes a collection by label and counts requests in /metrics", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    for (const [name, keep] of [["x1", "no"], ["x2", "no"], ["x3", "yes"]]) await c.create(cm, "default", { metadata: { name, labels: { keep } } });
    const deleted = await c.request<Obj>("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=keep%3Dno");
    assert.deepEqual(deleted.items.map((i: Obj) => i.metadata.name), ["x1", "x2"]);
    assert.deepEqual((await c.list(cm, "default")).items.map((i) => i.metadata.name).filter((n) => n!.startsWith("x")), ["x3"]);
    // /metrics is Prometheus text, so it is read raw rather than through the JSON client.
    const { request } = await import("node:https");
    const text = await new Promise<string>((resolve, reject) => {
      const cfg = cp.client.config;
      const req = request(new URL("/metrics", cfg.server), { ca: cfg.ca, cert: cfg.cert, key: cfg.key }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    // Upstream's labels: a create is scoped to the resource, a collection's delete to the namespace.
    assert.match(text, /^apiserver_request_total\{verb="POST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="resource",component="apiserver",code="201"\} 3$/m);
    assert.match(text, /^apiserver_request_total\{verb="DELETE",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"\} 1$/m);
    assert.match(text, /^apiserver_request_duration_seconds_bucket\{le="0.005",verb="LIST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver"\} \d+$/m);
    assert.match(text, /^etcd_request_duration_seconds_count\{operation="create",type="configmaps"\} [1-9]\d*$/m);
    assert.match(text, /^apiserver_storage_objects\{resource="configmaps"\} [1-9]\d*$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
  });

  it("reports unknown and duplicate fields by fieldValidation mode", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{"a":"1"},"bogus":true}';
    await assert.rejects(c.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", body), (e: { code?: number; message?: string }) =>
      e.code === 400 && /strict decoding error: unknown field "bogus", duplicate field "metadata.name"/.test(e.message ?? ""));
    const warned = await c.request<Obj>("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn", body);
    assert.equal(warned.bogus, undefined, "unknown fields are dropped");
    await c.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Ignore", body.replace('"dup","name":"dup"', '"ignored"'));
  });

  it("dry-run writes return the result and store nothing", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const created = await c.request<Obj>("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", { metadata: { name: "dry" }, data: { a: "1" } });
    assert.equal(created.data.a, "1");
    await assert.rejects(c.get(cm, "default", "dry"), isCode(404));
    await c.create(cm, "default", { metadata: { name: "wet" }, data: { a: "1" } });
    await c.request("PATCH", "/api/v1/namespaces/default/configmaps/wet?dryRun=All", { data: { a: "2" } }, "application/merge-patch+json");
    await c.request("DELETE", "/api/v1/namespaces/default/configmaps/wet?dryRun=All");
    assert.equal((await c.get<Obj>(cm, "default", "wet")).data.a, "1");
  });

  it("serves custom resources once their CRD is established, validating and pruning by its schema", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const crds = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", namespaced: false };
    await c.create(crds, undefined, {
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" },
        versions: [{ name: "v1", served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: ".spec.size", statusReplicasPath: ".status.size" } },
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", required: ["size"], properties: { size: { type: "integer", minimum: 1 } } }, status: { type: "object", properties: { size: { type: "integer" } } } } } } }],
      },
    });
    const crd = await eventually(async () => {
      const o = await c.get<Obj>(crds, undefined, "widgets.example.com");
      return (o.status?.conditions ?? []).some((x: Obj) => x.type === "Established" && x.status === "True") ? o : undefined;
    });
    assert.ok(crd);
    const widgets = { group: "example.com", version: "v1", resource: "widgets", namespaced: true };
    const w = await c.create<Obj>(widgets, "default", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 2, extra: "pruned" } } as KubeObject);
    assert.deepEqual(w.spec, { size: 2 }, "unknown fields are pruned");
    await assert.rejects(c.create(widgets, "default", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "bad" }, spec: { size: 0 } } as KubeObject), isCode(422));
    await assert.rejects(c.create(widgets, "default", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "bad" }, spec: {} } as KubeObject), isCode(422));
    const scaled = await c.request<Obj>("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w/scale", { spec: { replicas: 4 } }, "application/merge-patch+json");
    assert.equal(scaled.spec.replicas, 4);
    assert.equal((await c.get<Obj>(widgets, "default", "w")).spec.size, 4);
    await c.delete(crds, undefined, "widgets.example.com");
    // As upstream, the CRD's finalizer deletes its objects first; then the resource goes with it.
    await eventually(async () => c.list(widgets, "default").then(() => undefined, (err: unknown) => (isCode(404)(err) ? true : undefined)));
    await assert.rejects(c.list(widgets, "default"), isCode(404), "the resource goes with its CRD");
  });

  it("serves one set of Events through core/v1 and events.k8s.io/v1, each with its own field names and selectors", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    const core = { group: "", version: "v1", resource: "events", namespaced: true };
    const events = { group: "events.k8s.io", version: "v1", resource: "events", namespaced: true };
    await c.create(events, "default", {
      metadata: { name: "newer" }, eventTime: "2017-09-19T13:49:16.000000Z", note: "written as events.k8s.io", action: "Do", reason: "Test", type: "Normal",
      reportingController: "test-controller", reportingInstance: "test-node", regarding: { kind: "Pod", namespace: "default", name: "p" },
    });
    await c.create(core, "default", {
      metadata: { name: "older" }, message: "written as core", reason: "Started", type: "Normal", count: 3,
      source: { component: "kubelet" }, involvedObject: { kind: "Node", name: "n1" },
    });
    const asCore = await c.get<Obj>(core, "default", "newer");
    assert.equal(asCore.apiVersion, "v1");
    assert.equal(asCore.message, "written as events.k8s.io");
    assert.equal(asCore.reportingComponent, "test-controller");
    assert.deepEqual(asCore.involvedObject, { kind: "Pod", namespace: "default", name: "p" });
    assert.equal(asCore.note, undefined);
    const asEvents = await c.get<Obj>(events, "default", "older");
    assert.equal(asEvents.apiVersion, "events.k8s.io/v1");
    assert.equal(asEvents.note, "written as core");
    assert.equal(asEvents.deprecatedCount, 3);
    assert.deepEqual(asEvents.deprecatedSource, { component: "kubelet" });
    assert.deepEqual(asEvents.regarding, { kind: "Node", name: "n1" });

    const names = async (r: typeof core, fieldSelector: string) => (await c.list(r, "default", { fieldSelector })).items.map((i) => i.metadata.name).sort();
    assert.deepEqual(await names(core, "source=test-controller"), ["newer"], "core's source falls back to the reporting controller");
    assert.deepEqual(await names(core, "source=kubelet"), ["older"]);
    assert.deepEqual(await names(core, "involvedObject.kind=Pod"), ["newer"]);
    assert.deepEqual(await names(events, "reportingController=test-controller"), ["newer"]);
    assert.deepEqual(await names(events, "regarding.kind=Node,type=Normal"), ["older"]);
    await assert.rejects(c.list(events, "default", { fieldSelector: "involvedObject.kind=Pod" }), isCode(400), "events.k8s.io selects by its own field names");

    await c.delete(events, "default", "older");
    assert.deepEqual((await c.list(core, "default")).items.map((i) => i.metadata.name), ["newer"], "deleted through one API, gone from the other");
  });
});
