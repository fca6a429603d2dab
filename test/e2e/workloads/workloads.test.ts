/**
 * Workloads as a kubectl user sees them on `skiff server --sim-nodes 3`:
 * the scheduler, the controllers and simulated nodes together.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client, Resources, loadKubeconfig } from "../../../src/client/index.js";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { killOnProcessEnd } from "../../helpers/process-end.js";

describe("workloads on simulated nodes", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  before(async () => {
    server = await startServer({ simNodes: 3, args: ["--node-monitor-grace-period", "15"] });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 3, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("rolls a Deployment out, updates it, and rolls it back to the earlier ReplicaSet", async () => {
    await kubectl.ok(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3"]);
    assert.match(await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]), /deployment "web" successfully rolled out/);
    const pods = await json(["get", "pods", "-l", "app=web"]);
    assert.equal(pods.items.length, 3);
    for (const p of pods.items) {
      assert.equal(p.status.phase, "Running");
      assert.match(p.spec.nodeName, /^sim-node-\d$/);
      assert.match(p.status.podIP, /^10\.244\.\d+\.\d+$/);
    }
    assert.match(await kubectl.ok(["get", "deployment", "web"]), /^web\s+3\/3\s+3\s+3\s+\d+s$/m);

    await kubectl.ok(["set", "image", "deployment/web", "nginx=nginx:1.28"]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]);
    const sets = await json(["get", "rs", "-l", "app=web"]);
    assert.equal(sets.items.length, 2);
    const byImage = new Map(sets.items.map((rs: { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }) => [rs.spec.template.spec.containers[0]!.image, rs.spec.replicas]));
    assert.deepEqual(Object.fromEntries(byImage), { "nginx:1.27": 0, "nginx:1.28": 3 });
    const history = await kubectl.ok(["rollout", "history", "deployment/web"]);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+<none>$/m);

    assert.match(await kubectl.ok(["rollout", "undo", "deployment/web"]), /deployment\.apps\/web rolled back/);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]);
    const after = await json(["get", "rs", "-l", "app=web"]);
    assert.equal(after.items.length, 2, "the rollback reuses the first ReplicaSet");
    const history2 = await kubectl.ok(["rollout", "history", "deployment/web"]);
    assert.match(history2, /^2\s+<none>$/m);
    assert.match(history2, /^3\s+<none>$/m);
    assert.doesNotMatch(history2, /^1\s/m);
    const d = await json(["get", "deployment", "web"]);
    assert.equal(d.spec.template.spec.containers[0].image, "nginx:1.27");

    await kubectl.ok(["scale", "deployment/web", "--replicas=5"]);
    await kubectl.ok(["rollout", "status", "deployment/web", "--timeout=60s"]);
    assert.equal((await json(["get", "pods", "-l", "app=web"])).items.filter((p: { status: { phase: string } }) => p.status.phase === "Running").length, 5);
    await kubectl.ok(["scale", "deployment/web", "--replicas=1"]);
    await eventually(async () => (await json(["get", "pods", "-l", "app=web"])).items.length === 1, 30_000);
  });

  it("shares a resize mid-rollout among the ReplicaSets in proportion, as upstream", async () => {
    const spec = (cpu: string) => ({ replicas: 10, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }, selector: { matchLabels: { app: "prop" } },
      template: { metadata: { labels: { app: "prop" } }, spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu } } }] } } });
    const apply = (cpu: string) => kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "prop" }, spec: spec(cpu) }) });
    await apply("10m");
    await kubectl.ok(["rollout", "status", "deployment/prop", "--timeout=60s"]);
    // A new template whose pods can never be scheduled: the rollout stops at 8 old and 5 new.
    await apply("1000");
    const sizes = async () => Object.fromEntries((await json(["get", "rs", "-l", "app=prop"])).items
      .map((rs: { spec: { replicas: number; template: { spec: { containers: { resources: { requests: { cpu: string } } }[] } } } }) => [rs.spec.template.spec.containers[0]!.resources.requests.cpu === "10m" ? "old" : "new", rs.spec.replicas]));
    await eventually(async () => { const s = await sizes(); return s.old === 8 && s.new === 5; }, 30_000);
    assert.deepEqual(await sizes(), { old: 8, new: 5 }, "and stays there");
    await kubectl.ok(["scale", "deployment/prop", "--replicas=15"]);
    await eventually(async () => { const s = await sizes(); return s.old === 11 && s.new === 7; }, 30_000);
    const events = await kubectl.ok(["get", "events", "--field-selector", "involvedObject.name=prop,reason=ScalingReplicaSet"]);
    assert.match(events, /Scaled up replica set prop-\w+ from 8 to 11/);
    assert.match(events, /Scaled up replica set prop-\w+ from 5 to 7/);
    await kubectl.ok(["delete", "deployment", "prop"]);
  });

  it("fails a rollout that makes no progress within progressDeadlineSeconds", async () => {
    const stuck = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "stuck" }, spec: { replicas: 1, progressDeadlineSeconds: 3, selector: { matchLabels: { app: "stuck" } }, template: { metadata: { labels: { app: "stuck" } }, spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "999" } } }] } } } };
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(stuck) });
    const r = await kubectl.run(["rollout", "status", "deployment/stuck", "--timeout=60s"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
    const cond = (await json(["get", "deployment", "stuck"])).status.conditions.find((c: { type: string }) => c.type === "Progressing");
    assert.equal(cond.reason, "ProgressDeadlineExceeded");
    await kubectl.ok(["delete", "deployment", "stuck"]);
  });

  it("reports a pod that fits nowhere with upstream's FailedScheduling message", async () => {
    await kubectl.ok(["run", "huge", "--image=busybox", "--overrides", JSON.stringify({ spec: { containers: [{ name: "huge", image: "busybox", resources: { requests: { cpu: "1000" } } }] } })]);
    const description = await eventually(async () => {
      const out = await kubectl.ok(["describe", "pod", "huge"]);
      return /FailedScheduling/.test(out) ? out : undefined;
    }, 30_000);
    assert.match(description ?? "", /0\/3 nodes are available: 3 Insufficient cpu\./);
    const pod = await json(["get", "pod", "huge"]);
    const cond = pod.status.conditions.find((c: { type: string }) => c.type === "PodScheduled");
    assert.equal(cond.status, "False");
    assert.equal(cond.reason, "Unschedulable");
    await kubectl.ok(["delete", "pod", "huge"]);
  });

  it("cordons, drains through evictions, and uncordons a node", async () => {
    await kubectl.ok(["create", "deployment", "spread", "--image=busybox", "--replicas=6"]);
    await kubectl.ok(["rollout", "status", "deployment/spread", "--timeout=60s"]);
    assert.match(await kubectl.ok(["cordon", "sim-node-0"]), /node\/sim-node-0 cordoned/);
    assert.match(await kubectl.ok(["get", "node", "sim-node-0"]), /Ready,SchedulingDisabled/);
    const drained = await kubectl.ok(["drain", "sim-node-0", "--ignore-daemonsets", "--timeout=60s"]);
    assert.match(drained, /node\/sim-node-0 drained/);
    await kubectl.ok(["rollout", "status", "deployment/spread", "--timeout=60s"]);
    const pods = await json(["get", "pods", "-l", "app=spread"]);
    assert.ok(pods.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName !== "sim-node-0"), "no pod is left on the drained node");
    assert.match(await kubectl.ok(["uncordon", "sim-node-0"]), /node\/sim-node-0 uncordoned/);
    await kubectl.ok(["delete", "deployment", "spread"]);
  });

  it("deletes dependents in the background, in the foreground, or orphans them", async () => {
    await kubectl.ok(["create", "deployment", "bg", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["rollout", "status", "deployment/bg", "--timeout=60s"]);
    await kubectl.ok(["delete", "deployment", "bg"]);
    await eventually(async () => (await json(["get", "rs,pods", "-l", "app=bg"])).items.length === 0, 30_000);

    await kubectl.ok(["create", "deployment", "fg", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["rollout", "status", "deployment/fg", "--timeout=60s"]);
    assert.match(await kubectl.ok(["delete", "deployment", "fg", "--cascade=foreground", "--timeout=60s"]), /deployment\.apps "fg" deleted/);
    assert.equal((await json(["get", "rs,pods", "-l", "app=fg"])).items.length, 0, "foreground deletion returns once the dependents are gone");

    await kubectl.ok(["create", "deployment", "orph", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["rollout", "status", "deployment/orph", "--timeout=60s"]);
    await kubectl.ok(["delete", "deployment", "orph", "--cascade=orphan"]);
    const left = await json(["get", "rs", "-l", "app=orph"]);
    assert.equal(left.items.length, 1, "the ReplicaSet stays");
    assert.equal(left.items[0].metadata.ownerReferences, undefined, "and no longer has an owner");
    assert.equal((await json(["get", "pods", "-l", "app=orph"])).items.length, 2);
  });

  it("deleting a namespace removes everything in it, then the namespace", async () => {
    await kubectl.ok(["create", "namespace", "doomed"]);
    await kubectl.ok(["create", "deployment", "d", "-n", "doomed", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["create", "configmap", "c", "-n", "doomed", "--from-literal=a=b"]);
    await kubectl.ok(["rollout", "status", "deployment/d", "-n", "doomed", "--timeout=60s"]);
    assert.match(await kubectl.ok(["delete", "namespace", "doomed", "--timeout=60s"]), /namespace "doomed" deleted/);
    const gone = await kubectl.run(["get", "namespace", "doomed"]);
    assert.match(gone.stderr, /namespaces "doomed" not found/);
  });

  it("runs a Job to completion, and an Indexed Job once per index", async () => {
    await kubectl.ok(["create", "job", "once", "--image=busybox", "--", "true"]);
    assert.match(await kubectl.ok(["wait", "--for=condition=complete", "job/once", "--timeout=60s"]), /job\.batch\/once condition met/);
    assert.match(await kubectl.ok(["get", "job", "once"]), /^once\s+Complete\s+1\/1\s+\d+s\s+\d+s$/m);
    const indexed = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "indexed" }, spec: { completions: 3, parallelism: 2, completionMode: "Indexed", template: { spec: { restartPolicy: "Never", containers: [{ name: "w", image: "busybox" }] } } } };
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(indexed) });
    await kubectl.ok(["wait", "--for=condition=complete", "job/indexed", "--timeout=60s"]);
    const job = await json(["get", "job", "indexed"]);
    assert.equal(job.status.succeeded, 3);
    assert.equal(job.status.completedIndexes, "0-2");
    const indexes = (await json(["get", "pods", "-l", "job-name=indexed"])).items.map((p: { metadata: { annotations: Record<string, string> } }) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"]).sort();
    assert.deepEqual(indexes, ["0", "1", "2"]);
  });

  it("starts a CronJob's Job at the scheduled minute and records it", async () => {
    await kubectl.ok(["create", "cronjob", "tick", "--image=busybox", "--schedule=* * * * *", "--", "date"]);
    const job = await eventually(async () => {
      const jobs = await json(["get", "jobs"]);
      return jobs.items.find((j: { metadata: { ownerReferences?: { name: string }[] } }) => j.metadata.ownerReferences?.[0]?.name === "tick");
    }, 75_000, 1000);
    await kubectl.ok(["wait", "--for=condition=complete", `job/${job.metadata.name}`, "--timeout=60s"]);
    const cj = await eventually(async () => { const c = await json(["get", "cronjob", "tick"]); return c.status?.lastSuccessfulTime ? c : undefined; }, 30_000);
    assert.ok(cj.status.lastScheduleTime);
    assert.match(await kubectl.ok(["get", "cronjob", "tick"]), /^tick\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+\d+s\s+\d+s$/m);
    await kubectl.ok(["delete", "cronjob", "tick"]);
  });

  it("lists a Service's ready pods in its Endpoints and EndpointSlice", async () => {
    await kubectl.ok(["create", "deployment", "api", "--image=busybox", "--replicas=3", "--port=8080"]);
    await kubectl.ok(["rollout", "status", "deployment/api", "--timeout=60s"]);
    await kubectl.ok(["expose", "deployment", "api", "--port=80", "--target-port=8080"]);
    const ips = (await json(["get", "pods", "-l", "app=api"])).items.map((p: { status: { podIP: string } }) => p.status.podIP).sort();
    const ep = await eventually(async () => { const e = await json(["get", "endpoints", "api"]); return e.subsets?.[0]?.addresses?.length === 3 ? e : undefined; }, 20_000);
    assert.deepEqual(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort(), ips);
    assert.deepEqual(ep.subsets[0].ports, [{ port: 8080, protocol: "TCP" }]);
    const slices = await json(["get", "endpointslices", "-l", "kubernetes.io/service-name=api"]);
    assert.equal(slices.items.length, 1);
    assert.deepEqual(slices.items[0].endpoints.map((e: { addresses: string[] }) => e.addresses[0]).sort(), ips);
    assert.ok(slices.items[0].endpoints.every((e: { conditions: { ready: boolean } }) => e.conditions.ready));
    await kubectl.ok(["scale", "deployment/api", "--replicas=1"]);
    await eventually(async () => (await json(["get", "endpoints", "api"])).subsets?.[0]?.addresses?.length === 1, 20_000);
  });

  it("splits a Service's endpoints into EndpointSlices of at most 100", async () => {
    await kubectl.ok(["create", "deployment", "big", "--image=busybox", "--replicas=150", "--port=8080"]);
    await kubectl.ok(["expose", "deployment", "big", "--port=80", "--target-port=8080"]);
    await kubectl.ok(["rollout", "status", "deployment/big", "--timeout=90s"]);
    const sizes = async () => ((await json(["get", "endpointslices", "-l", "kubernetes.io/service-name=big"])).items as { endpoints?: unknown[] }[])
      .map((s) => s.endpoints?.length ?? 0).sort((x, y) => y - x);
    assert.deepEqual(await eventually(async () => { const s = await sizes(); return s.reduce((n, k) => n + k, 0) === 150 ? s : undefined; }, 30_000, 250), [100, 50]);
    await kubectl.ok(["scale", "deployment/big", "--replicas=40"]);
    // Endpoints stay in the slices that held them (no reshuffle), and no slice is left empty.
    const after = await eventually(async () => { const s = await sizes(); return s.reduce((n, k) => n + k, 0) === 40 ? s : undefined; }, 30_000, 250);
    assert.ok(after!.length <= 2 && after!.every((n) => n > 0), String(after));
    await kubectl.ok(["delete", "deployment", "big"]);
  });

  it("scales a StatefulSet up in order and down in reverse, with stable names", async () => {
    const client = new Client(loadKubeconfig(server.kubeconfig));
    const order: string[] = [];
    const abort = new AbortController();
    const rv = (await client.list(Resources.pods, "default")).metadata.resourceVersion;
    const watching = client.watch(Resources.pods, "default", { resourceVersion: rv, labelSelector: "app=db" }, (e) => {
      if (e.type === "ADDED" || e.type === "DELETED") order.push(`${e.type} ${e.object.metadata.name}`);
    }, abort.signal);
    try {
      const sts = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db" }, spec: { serviceName: "db", replicas: 3, selector: { matchLabels: { app: "db" } }, template: { metadata: { labels: { app: "db" } }, spec: { containers: [{ name: "db", image: "busybox" }] } } } };
      await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(sts) });
      await kubectl.ok(["rollout", "status", "statefulset/db", "--timeout=60s"]);
      assert.match(await kubectl.ok(["get", "statefulset", "db"]), /^db\s+3\/3\s+\d+s$/m);
      const pods = await json(["get", "pods", "-l", "app=db"]);
      assert.deepEqual(pods.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort(), ["db-0", "db-1", "db-2"]);
      assert.equal(pods.items.find((p: { metadata: { name: string } }) => p.metadata.name === "db-1").spec.hostname, "db-1");
      await kubectl.ok(["scale", "statefulset/db", "--replicas=1"]);
      await eventually(async () => (await json(["get", "pods", "-l", "app=db"])).items.length === 1, 30_000);
      await eventually(() => order.length === 5);
      assert.deepEqual(order, ["ADDED db-0", "ADDED db-1", "ADDED db-2", "DELETED db-2", "DELETED db-1"]);
    } finally {
      abort.abort();
      await watching.catch(() => undefined);
      client.close();
    }
  });

  it("keeps or deletes a StatefulSet's claims as its persistentVolumeClaimRetentionPolicy says", async () => {
    const sts = (name: string, policy: Record<string, string>) => JSON.stringify({
      apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name },
      spec: {
        serviceName: name, replicas: 3, selector: { matchLabels: { app: name } }, persistentVolumeClaimRetentionPolicy: policy,
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } }],
      },
    });
    const claims = async (app: string) => (await json(["get", "pvc", "-l", `app=${app}`])).items.map((c: { metadata: { name: string } }) => c.metadata.name).sort();
    await kubectl.ok(["apply", "-f", "-"], { input: sts("vault", { whenScaled: "Delete", whenDeleted: "Retain" }) });
    await kubectl.ok(["apply", "-f", "-"], { input: sts("keeper", { whenScaled: "Retain", whenDeleted: "Delete" }) });
    await kubectl.ok(["rollout", "status", "statefulset/vault", "--timeout=60s"]);
    await kubectl.ok(["rollout", "status", "statefulset/keeper", "--timeout=60s"]);
    assert.deepEqual(await claims("vault"), ["data-vault-0", "data-vault-1", "data-vault-2"]);

    await kubectl.ok(["scale", "statefulset/vault", "--replicas=1"]);
    await kubectl.ok(["scale", "statefulset/keeper", "--replicas=1"]);
    await eventually(async () => JSON.stringify(await claims("vault")) === JSON.stringify(["data-vault-0"]), 30_000);
    await eventually(async () => (await json(["get", "pods", "-l", "app=keeper"])).items.length === 1, 30_000);
    assert.deepEqual(await claims("keeper"), ["data-keeper-0", "data-keeper-1", "data-keeper-2"], "whenScaled: Retain keeps the claims of removed pods");

    await kubectl.ok(["delete", "statefulset", "vault", "keeper"]);
    await eventually(async () => (await claims("keeper")).length === 0, 30_000);
    assert.deepEqual(await claims("vault"), ["data-vault-0"], "whenDeleted: Retain keeps the claims after the set");
    await kubectl.ok(["delete", "pvc", "-l", "app=vault"]);
  });

  it("runs a DaemonSet pod on every node, a new node included", async () => {
    const ds = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "agent" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "a", image: "busybox" }] } } } };
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(ds) });
    await kubectl.ok(["rollout", "status", "daemonset/agent", "--timeout=60s"]);
    const nodesOf = async () => (await json(["get", "pods", "-l", "app=agent"])).items.filter((p: { status: { phase: string } }) => p.status.phase === "Running").map((p: { spec: { nodeName: string } }) => p.spec.nodeName).sort();
    assert.deepEqual(await nodesOf(), ["sim-node-0", "sim-node-1", "sim-node-2"]);
    const extra = killOnProcessEnd(spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "sim", "--nodes", "1", "--prefix", "extra", "--kubeconfig", server.kubeconfig], { stdio: "ignore" }));
    try {
      // A new process registers the node: on a loaded machine its start alone takes seconds.
      await eventually(async () => (await nodesOf()).includes("extra-0"), 90_000, 250);
      assert.match(await kubectl.ok(["get", "daemonset", "agent"]), /^agent\s+4\s+4\s+4\s+4\s+4\s+<none>\s+\d+s$/m);
    } finally {
      extra.kill("SIGTERM");
      await kubectl.ok(["delete", "daemonset", "agent"]);
      await kubectl.ok(["delete", "node", "extra-0"]);
    }
  });

  it("replaces a failed daemon pod, with a FailedDaemonPod event", async () => {
    const ds = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "revived" }, spec: { selector: { matchLabels: { app: "revived" } }, template: { metadata: { labels: { app: "revived" } }, spec: { containers: [{ name: "a", image: "busybox" }] } } } };
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(ds) });
    await kubectl.ok(["rollout", "status", "daemonset/revived", "--timeout=60s"]);
    const victim = (await json(["get", "pods", "-l", "app=revived"])).items[0] as { metadata: { name: string }; spec: { nodeName: string } };
    await kubectl.ok(["patch", "pod", victim.metadata.name, "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Failed"}}']);
    await eventually(async () => {
      const pods = (await json(["get", "pods", "-l", "app=revived", "--field-selector", `spec.nodeName=${victim.spec.nodeName}`])).items as { metadata: { name: string }; status: { phase: string } }[];
      return pods.length === 1 && pods[0]!.metadata.name !== victim.metadata.name && pods[0]!.status.phase === "Running";
    }, 60_000, 250);
    const events = await kubectl.ok(["get", "events", "--field-selector", "reason=FailedDaemonPod"]);
    assert.match(events, new RegExp(`Found failed daemon pod default/${victim.metadata.name} on node ${victim.spec.nodeName}, will try to kill it`));
    await kubectl.ok(["delete", "daemonset", "revived"]);
  });

  it("moves the pods of a node that stops heartbeating to other nodes", async () => {
    const flaky = killOnProcessEnd(spawn(process.execPath, [join(repoRoot, "bin/skiff.js"), "sim", "--nodes", "1", "--prefix", "flaky", "--kubeconfig", server.kubeconfig], { stdio: "ignore" }));
    try {
      await eventually(async () => /^flaky-0\s+Ready\s/m.test(await kubectl.ok(["get", "nodes"])), 90_000, 250);
      // Every other node is cordoned, so both pods land on flaky-0 (a node left by an earlier test included).
      const others = (await json(["get", "nodes"])).items.map((n: { metadata: { name: string } }) => n.metadata.name).filter((n: string) => n !== "flaky-0");
      for (const n of others) await kubectl.ok(["cordon", n]);
      const deploy = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "mobile" }, spec: { replicas: 2, selector: { matchLabels: { app: "mobile" } }, template: { metadata: { labels: { app: "mobile" } }, spec: {
        tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 2 }],
        containers: [{ name: "m", image: "busybox" }] } } } };
      await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(deploy) });
      await kubectl.ok(["rollout", "status", "deployment/mobile", "--timeout=60s"]);
      const before = await json(["get", "pods", "-l", "app=mobile"]);
      assert.ok(before.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName === "flaky-0"));
      for (const n of others) await kubectl.ok(["uncordon", n]);
      flaky.kill("SIGKILL");
      await eventually(async () => /^flaky-0\s+NotReady\s/m.test(await kubectl.ok(["get", "nodes"])), 60_000, 1000);
      const node = await json(["get", "node", "flaky-0"]);
      assert.ok(node.spec.taints.some((t: { key: string; effect: string }) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute"));
      await eventually(async () => {
        const pods = (await json(["get", "pods", "-l", "app=mobile"])).items.filter((p: { metadata: { deletionTimestamp?: string }; status: { phase: string } }) => !p.metadata.deletionTimestamp && p.status.phase === "Running");
        return pods.length === 2 && pods.every((p: { spec: { nodeName: string } }) => p.spec.nodeName.startsWith("sim-node-"));
      }, 60_000, 500);
    } finally {
      flaky.kill("SIGKILL");
      await kubectl.run(["delete", "deployment", "mobile"]);
      await kubectl.run(["delete", "node", "flaky-0"]);
    }
  });

  it("places pods by affinity, anti-affinity and topology spread", async () => {
    const deploy = (name: string, replicas: number, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { ...spec, containers: [{ name: "c", image: "busybox" }] } } } });
    const placed = async (app: string) => (await json(["get", "pods", "-l", `app=${app}`])).items.filter((p: { spec: { nodeName?: string } }) => p.spec.nodeName).map((p: { spec: { nodeName: string } }) => p.spec.nodeName).sort();
    const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "solo" } }, topologyKey: "kubernetes.io/hostname" }] } };
    await kubectl.ok(["apply", "-f", "-"], { input: deploy("solo", 4, { affinity: antiAffinity }) });
    await eventually(async () => (await placed("solo")).length === 3, 30_000);
    assert.deepEqual(await placed("solo"), ["sim-node-0", "sim-node-1", "sim-node-2"], "one per node");
    const pending = (await json(["get", "pods", "-l", "app=solo"])).items.find((p: { spec: { nodeName?: string } }) => !p.spec.nodeName);
    const message = await eventually(async () => (await json(["get", "pod", pending.metadata.name])).status.conditions?.find((c: { type: string }) => c.type === "PodScheduled")?.message, 30_000);
    assert.equal(message, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    await kubectl.ok(["delete", "deployment", "solo"]);

    await kubectl.ok(["apply", "-f", "-"], { input: deploy("cache", 1, {}) });
    await eventually(async () => (await placed("cache")).length === 1, 30_000);
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "cache" } }, topologyKey: "kubernetes.io/hostname" }] } };
    await kubectl.ok(["apply", "-f", "-"], { input: deploy("near", 3, { affinity }) });
    await eventually(async () => (await placed("near")).length === 3, 30_000);
    const cacheNode = (await placed("cache"))[0];
    assert.deepEqual(await placed("near"), [cacheNode, cacheNode, cacheNode], "all beside the cache");

    await kubectl.ok(["label", "node", "sim-node-0", "topology.kubernetes.io/zone=a"]);
    await kubectl.ok(["label", "node", "sim-node-1", "topology.kubernetes.io/zone=a"]);
    await kubectl.ok(["label", "node", "sim-node-2", "topology.kubernetes.io/zone=b"]);
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread-z" } } }] };
    await kubectl.ok(["apply", "-f", "-"], { input: deploy("spread-z", 4, spread) });
    await eventually(async () => (await placed("spread-z")).length === 4, 30_000);
    const zones = (await placed("spread-z")).map((n: string) => (n === "sim-node-2" ? "b" : "a"));
    assert.equal(zones.filter((z: string) => z === "a").length, 2);
    assert.equal(zones.filter((z: string) => z === "b").length, 2);
    for (const d of ["cache", "near", "spread-z"]) await kubectl.ok(["delete", "deployment", d]);
  });

  it("places pods with their volumes: missing claims, a volume tied to a node, claims made for the chosen node", async () => {
    const withClaim = (name: string, claim: string) => JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name },
      spec: { containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "d", mountPath: "/d" }] }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: claim } }] } });
    await kubectl.ok(["apply", "-f", "-"], { input: withClaim("lost", "nope") });
    const message = await eventually(async () => (await json(["get", "pod", "lost"])).status.conditions?.find((c: { type: string }) => c.type === "PodScheduled")?.message, 30_000);
    assert.equal(message, '0/3 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
    // The claim appearing lets the pod go (a claim added retries waiting pods); the default class makes its volume on that pod's node.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "nope" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } }) });
    const lost = await eventually(async () => { const p = await json(["get", "pod", "lost"]); return p.status.phase === "Running" ? p : undefined; }, 30_000);
    const claim = await json(["get", "pvc", "nope"]);
    assert.equal(claim.metadata.annotations["volume.kubernetes.io/selected-node"], lost.spec.nodeName);
    const pv = await json(["get", "pv", claim.spec.volumeName]);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [lost.spec.nodeName]);

    // A volume that only one node can reach draws the pod there.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pinned" }, spec: {
      capacity: { storage: "1Mi" }, accessModes: ["ReadWriteOnce"], storageClassName: "", hostPath: { path: "/tmp/pinned" },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["sim-node-2"] }] }] } } } }) });
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "pinned" }, spec: { storageClassName: "", volumeName: "pinned", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } }) });
    for (const name of ["pinned-a", "pinned-b", "pinned-c"]) await kubectl.ok(["apply", "-f", "-"], { input: withClaim(name, "pinned") });
    await eventually(async () => (await json(["get", "pods", "pinned-a", "pinned-b", "pinned-c"])).items.every((p: { spec: { nodeName?: string } }) => p.spec.nodeName), 30_000);
    assert.deepEqual((await json(["get", "pods", "pinned-a", "pinned-b", "pinned-c"])).items.map((p: { spec: { nodeName: string } }) => p.spec.nodeName), ["sim-node-2", "sim-node-2", "sim-node-2"]);
    await kubectl.ok(["delete", "pod", "lost", "pinned-a", "pinned-b", "pinned-c", "--wait=false"]);
  });

  it("refuses an eviction that a PodDisruptionBudget forbids, and allows it with room", async () => {
    await kubectl.ok(["create", "deployment", "guarded", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["rollout", "status", "deployment/guarded", "--timeout=60s"]);
    await kubectl.ok(["create", "poddisruptionbudget", "guard", "--selector=app=guarded", "--min-available=2"]);
    await eventually(async () => (await json(["get", "pdb", "guard"])).status?.expectedPods === 2, 20_000);
    assert.match(await kubectl.ok(["get", "pdb", "guard"]), /^guard\s+2\s+N\/A\s+0\s+\d+s$/m);
    const client = new Client(loadKubeconfig(server.kubeconfig));
    try {
      const victim = (await json(["get", "pods", "-l", "app=guarded"])).items[0].metadata.name;
      const evict = () => client.request("POST", `/api/v1/namespaces/default/pods/${victim}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: victim, namespace: "default" } });
      await assert.rejects(evict(), (e: { code?: number; message?: string }) => e.code === 429 && /violate the pod's disruption budget/.test(e.message ?? ""));
      await kubectl.ok(["scale", "deployment/guarded", "--replicas=3"]);
      await eventually(async () => (await json(["get", "pdb", "guard"])).status?.disruptionsAllowed === 1, 30_000);
      await evict();
      await eventually(async () => (await kubectl.run(["get", "pod", victim])).code !== 0, 20_000);
    } finally {
      client.close();
      await kubectl.ok(["delete", "deployment", "guarded"]);
      await kubectl.ok(["delete", "pdb", "guard"]);
    }
  });

  it("counts a namespace's usage in its ResourceQuota, and runs ReplicationControllers", async () => {
    await kubectl.ok(["create", "namespace", "metered"]);
    await kubectl.ok(["create", "quota", "q", "-n", "metered", "--hard=pods=10,configmaps=5,requests.cpu=4"]);
    const rc = { apiVersion: "v1", kind: "ReplicationController", metadata: { name: "legacy" }, spec: { replicas: 2, template: { metadata: { labels: { app: "legacy" } }, spec: { containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: "250m" } } }] } } } };
    await kubectl.ok(["apply", "-n", "metered", "-f", "-"], { input: JSON.stringify(rc) });
    await kubectl.ok(["create", "configmap", "c1", "-n", "metered", "--from-literal=a=b"]);
    const q = await eventually(async () => { const o = await json(["get", "quota", "q", "-n", "metered"]); return o.status?.used?.pods === "2" ? o : undefined; }, 30_000);
    assert.equal(q.status.used["requests.cpu"], "500m");
    assert.ok(Number(q.status.used.configmaps) >= 1);
    assert.deepEqual(q.status.hard, { pods: "10", configmaps: "5", "requests.cpu": "4" });
    assert.match(await kubectl.ok(["get", "rc", "legacy", "-n", "metered"]), /^legacy\s+2\s+2\s+\d\s+\d+s$/m);
    await kubectl.ok(["delete", "namespace", "metered", "--timeout=60s"]);
  });

  it("gives every namespace a default ServiceAccount", async () => {
    await kubectl.ok(["create", "namespace", "accounts"]);
    await eventually(async () => (await kubectl.run(["get", "serviceaccount", "default", "-n", "accounts"])).code === 0, 10_000);
  });

  it("selects nodes by spec.unschedulable, an unset field counting as false (what the conformance framework asks)", async () => {
    const schedulable = await kubectl.ok(["get", "nodes", "--field-selector", "spec.unschedulable=false", "-o", "name"]);
    assert.equal(schedulable.trim().split("\n").filter(Boolean).length, 3);
    await kubectl.ok(["cordon", "sim-node-2"]);
    try {
      assert.equal((await kubectl.ok(["get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name"])).trim(), "node/sim-node-2");
    } finally {
      await kubectl.ok(["uncordon", "sim-node-2"]);
    }
  });
});
