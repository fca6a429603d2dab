/**
 * Pod priority and preemption as a kubectl user sees them on
 * `skiff server --sim-nodes 2` (32 cpus a node, and extended resources a test advertises).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

describe("priority and preemption", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const pod = (name: string, cpu: string, extra: Record<string, unknown> = {}) => JSON.stringify({
    apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: name } },
    spec: { ...extra, containers: [{ name: "c", image: "busybox", resources: { requests: { cpu } } }] },
  });
  before(async () => {
    server = await startServer({ simNodes: 2 });
    kubectl = kubectlFor(server.kubeconfig);
    await eventually(async () => (await kubectl.ok(["get", "nodes"])).match(/\sReady\s/g)?.length === 2, 30_000);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("serves the system PriorityClasses and guards the reserved ones", async () => {
    const out = await kubectl.ok(["get", "priorityclasses"]);
    assert.match(out, /^system-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority$/m);
    assert.match(out, /^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m);
    const reserved = await kubectl.run(["create", "priorityclass", "system-mine", "--value=5"]);
    assert.notEqual(reserved.code, 0);
    assert.match(reserved.stderr, /priority class names with 'system-' prefix are reserved for system use only/);
    const tooHigh = await kubectl.run(["create", "priorityclass", "too-high", "--value=2000000000"]);
    assert.match(tooHigh.stderr, /maximum allowed value of a user defined priority is 1000000000/);
  });

  it("sets a pod's priority from its class, or from the global default", async () => {
    await kubectl.ok(["create", "priorityclass", "everyday", "--value=10", "--global-default"]);
    const second = await kubectl.run(["create", "priorityclass", "another-default", "--value=20", "--global-default"]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /PriorityClass everyday is already marked as default\. Only one default can exist/);
    await kubectl.ok(["run", "plain", "--image=busybox"]);
    const plain = await json(["get", "pod", "plain"]);
    assert.equal(plain.spec.priorityClassName, "everyday");
    assert.equal(plain.spec.priority, 10);
    assert.equal(plain.spec.preemptionPolicy, "PreemptLowerPriority");

    const missing = await kubectl.run(["apply", "-f", "-"], { input: pod("orphan", "1", { priorityClassName: "nonexistent" }) });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "orphan" is forbidden: no PriorityClass with name nonexistent was found/);
    const forged = await kubectl.run(["apply", "-f", "-"], { input: pod("forged", "1", { priority: 999 }) });
    assert.match(forged.stderr, /the integer value of priority \(999\) must not be provided in pod spec; priority admission controller computed 10 from the given PriorityClass name/);
    await kubectl.ok(["delete", "pod", "plain", "--wait=false"]);
    await kubectl.ok(["delete", "priorityclass", "everyday"]);
  });

  it("preempts a lower-priority pod for a higher-priority one, with upstream's events and conditions", async () => {
    await kubectl.ok(["create", "priorityclass", "high", "--value=1000", "--description=preempts"]);
    await kubectl.ok(["create", "deployment", "filler", "--image=busybox", "--replicas=2"]);
    await kubectl.ok(["set", "resources", "deployment/filler", "--requests=cpu=20"]);
    await kubectl.ok(["rollout", "status", "deployment/filler", "--timeout=60s"]);
    const fillers = (await json(["get", "pods", "-l", "app=filler"])).items;
    assert.deepEqual(fillers.map((p: { spec: { nodeName: string } }) => p.spec.nodeName).sort(), ["sim-node-0", "sim-node-1"], "one filler a node");

    await kubectl.ok(["apply", "-f", "-"], { input: pod("vip", "20", { priorityClassName: "high" }) });
    const vip = await eventually(async () => {
      const p = await json(["get", "pod", "vip"]);
      return p.status.phase === "Running" ? p : undefined;
    }, 60_000);
    assert.equal(vip.spec.priority, 1000);
    assert.equal(vip.status.nominatedNodeName, vip.spec.nodeName, "nominated to the node it then ran on");

    const events = await json(["get", "events", "--field-selector", "reason=Preempted"]);
    assert.equal(events.items.length, 1, "exactly one victim");
    const victim = events.items[0];
    assert.equal(victim.involvedObject.kind, "Pod");
    assert.match(victim.involvedObject.name, /^filler-/);
    assert.equal(victim.message, `Preempted by pod ${vip.metadata.uid} on node ${vip.spec.nodeName}`);
    assert.ok(fillers.some((p: { metadata: { name: string } }) => p.metadata.name === victim.involvedObject.name), "the victim was one of the running fillers");
    const left = (await json(["get", "pods", "-l", "app=filler"])).items.map((p: { metadata: { name: string } }) => p.metadata.name);
    assert.ok(!left.includes(victim.involvedObject.name), "the victim is gone");

    // The victim's replacement has nobody of lower priority to preempt, and says so.
    const pending = await eventually(async () => {
      const items = (await json(["get", "pods", "-l", "app=filler", "--field-selector", "status.phase=Pending"])).items;
      const cond = items[0]?.status.conditions?.find((c: { type: string }) => c.type === "PodScheduled");
      return cond?.reason === "Unschedulable" ? cond : undefined;
    }, 30_000);
    assert.equal(pending.message, "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    await kubectl.ok(["delete", "deployment", "filler"]);
    await kubectl.ok(["delete", "pod", "vip", "--wait=false"]);
  });

  it("does not preempt for a pod whose class says Never", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "polite" }, value: 2000, preemptionPolicy: "Never" }) });
    await kubectl.ok(["apply", "-f", "-"], { input: pod("hog", "30") });
    await kubectl.ok(["wait", "pod/hog", "--for=jsonpath={.status.phase}=Running", "--timeout=30s"]);
    await kubectl.ok(["apply", "-f", "-"], { input: pod("hog2", "30") });
    await kubectl.ok(["wait", "pod/hog2", "--for=jsonpath={.status.phase}=Running", "--timeout=30s"]);
    await kubectl.ok(["apply", "-f", "-"], { input: pod("waiter", "30", { priorityClassName: "polite" }) });
    const cond = await eventually(async () => {
      const p = await json(["get", "pod", "waiter"]);
      return p.status.conditions?.find((c: { type: string; reason?: string }) => c.type === "PodScheduled" && c.reason === "Unschedulable");
    }, 30_000);
    assert.equal(cond.message, "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.");
    assert.equal((await json(["get", "pods", "hog", "hog2"])).items.length, 2, "nobody was evicted");
    // When room appears, the waiting pod is scheduled (a deleted pod retries the unschedulable ones).
    await kubectl.ok(["delete", "pod", "hog"]);
    await kubectl.ok(["wait", "pod/waiter", "--for=jsonpath={.status.phase}=Running", "--timeout=30s"]);
  });

  it("makes an extended resource patched into a node's capacity schedulable, and preempts the fewest, least important of its users", async () => {
    const widgets = (n: string) => ({ requests: { "example.com/widget": n }, limits: { "example.com/widget": n } });
    await kubectl.ok(["patch", "node", "sim-node-1", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { capacity: { "example.com/widget": "10" } } })]);
    await kubectl.ok(["wait", "node/sim-node-1", "--for=jsonpath={.status.allocatable.example\\.com/widget}=10", "--timeout=30s"]);
    for (const tier of [1, 2, 3, 4]) await kubectl.ok(["create", "priorityclass", `tier-${tier}`, `--value=${tier}`]);
    // Three ReplicaSets take 2 + 3 + 4 of the node's 10 widgets, the least important the fewest.
    const sets = [["users-a", "tier-1", "2"], ["users-b", "tier-2", "3"], ["users-c", "tier-3", "4"]] as const;
    for (const [name, priorityClassName, n] of sets) {
      await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
        apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { priorityClassName, containers: [{ name: "c", image: "busybox", resources: widgets(n) }] } } },
      }) });
    }
    for (const [name] of sets) await kubectl.ok(["wait", `rs/${name}`, "--for=jsonpath={.status.availableReplicas}=1", "--timeout=60s"]);
    const before = new Map<string, string>();
    for (const [name] of sets) {
      const [p] = (await json(["get", "pods", "-l", `app=${name}`])).items;
      assert.equal(p.spec.nodeName, "sim-node-1", "only that node has widgets");
      before.set(name, p.metadata.name);
    }

    // 5 widgets: evicting users-a alone frees 3, users-a and users-b free 6; users-c (4) is reprieved.
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "widget-hog" }, spec: { priorityClassName: "tier-4", containers: [{ name: "c", image: "busybox", resources: widgets("5") }] } }) });
    await kubectl.ok(["wait", "pod/widget-hog", "--for=jsonpath={.status.phase}=Running", "--timeout=60s"]);
    const preempted = (await json(["get", "events", "--field-selector", "reason=Preempted"])).items
      .map((e: { involvedObject: { name: string } }) => e.involvedObject.name).filter((n: string) => n.startsWith("users-")).sort();
    assert.deepEqual(preempted, [before.get("users-a"), before.get("users-b")].sort());

    // Each victim is replaced once; the replacements wait, with nobody less important left to preempt.
    for (const [name] of sets.slice(0, 2)) {
      const [replacement, ...more] = (await json(["get", "pods", "-l", `app=${name}`])).items;
      assert.equal(more.length, 0, `${name} has one pod`);
      assert.notEqual(replacement.metadata.name, before.get(name));
      const cond = await eventually(async () => {
        const p = await json(["get", "pod", replacement.metadata.name]);
        return p.status.conditions?.find((c: { type: string; reason?: string }) => c.type === "PodScheduled" && c.reason === "Unschedulable");
      }, 30_000);
      assert.equal(cond.message, "0/2 nodes are available: 2 Insufficient example.com/widget. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.");
      const created = (await json(["get", "events", "--field-selector", `reason=SuccessfulCreate,involvedObject.name=${name}`])).items;
      assert.equal(created.length, 2, `${name} created its pod and one replacement`);
    }
    const [kept] = (await json(["get", "pods", "-l", "app=users-c"])).items;
    assert.equal(kept.metadata.name, before.get("users-c"), "the most important user keeps its pod");
    assert.equal(kept.metadata.deletionTimestamp, undefined);

    // Taken out of capacity, the resource leaves allocatable too.
    await kubectl.ok(["patch", "node", "sim-node-1", "--subresource=status", "--type=json", "-p", JSON.stringify([{ op: "remove", path: "/status/capacity/example.com~1widget" }])]);
    await eventually(async () => (await json(["get", "node", "sim-node-1"])).status.allocatable["example.com/widget"] === undefined, 30_000);
    await kubectl.ok(["delete", "rs", "users-a", "users-b", "users-c"]);
    await kubectl.ok(["delete", "pod", "widget-hog", "--wait=false"]);
  });

  it("takes a waiting preemptor's nomination away when a more important pod preempts on its node", async () => {
    const slot = { requests: { "example.com/slot": "1" }, limits: { "example.com/slot": "1" } };
    const slotPod = (name: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => JSON.stringify({
      apiVersion: "v1", kind: "Pod", metadata: { name, ...meta }, spec: { ...extra, containers: [{ name: "c", image: "busybox", resources: slot }] },
    });
    await kubectl.ok(["patch", "node", "sim-node-0", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { capacity: { "example.com/slot": "2" } } })]);
    await kubectl.ok(["wait", "node/sim-node-0", "--for=jsonpath={.status.allocatable.example\\.com/slot}=2", "--timeout=30s"]);
    // A finalizer keeps a victim terminating, so that its preemptor waits, nominated.
    const held = { finalizers: ["example.com/hold"] };
    for (const name of ["slow-1", "slow-2"]) {
      await kubectl.ok(["apply", "-f", "-"], { input: slotPod(name, {}, held) });
      await kubectl.ok(["wait", `pod/${name}`, "--for=jsonpath={.status.phase}=Running", "--timeout=30s"]);
    }
    await kubectl.ok(["apply", "-f", "-"], { input: slotPod("second", { priorityClassName: "tier-2" }) });
    await eventually(async () => (await json(["get", "pod", "second"])).status.nominatedNodeName === "sim-node-0", 30_000);
    await kubectl.ok(["apply", "-f", "-"], { input: slotPod("first", { priorityClassName: "tier-4" }) });
    await eventually(async () => (await json(["get", "pod", "first"])).status.nominatedNodeName === "sim-node-0", 30_000);
    const second = await eventually(async () => {
      const p = await json(["get", "pod", "second"]);
      return p.status.nominatedNodeName === undefined ? p : undefined;
    }, 30_000);
    assert.equal(second.spec.nodeName, undefined, "still waiting, no longer nominated");
    const terminating = (await json(["get", "pods", "slow-1", "slow-2"])).items.filter((p: { metadata: { deletionTimestamp?: string } }) => p.metadata.deletionTimestamp);
    assert.equal(terminating.length, 2, "each preemptor evicted one pod");

    for (const name of ["slow-1", "slow-2"]) await kubectl.ok(["patch", "pod", name, "--type=json", "-p", JSON.stringify([{ op: "remove", path: "/metadata/finalizers" }])]);
    await kubectl.ok(["wait", "pod/first", "--for=jsonpath={.status.phase}=Running", "--timeout=30s"]);
    await kubectl.ok(["delete", "pod", "first", "second", "--wait=false"]);
  });
});
