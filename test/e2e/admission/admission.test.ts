/**
 * The admission plugins a kubectl user meets on `skiff server --sim-nodes 1`:
 * LimitRanger's defaults and refusals, storage in-use protection holding a
 * claim while a pod uses it, RuntimeClass refusing a class that is not there,
 * and a node that starts tainted not-ready until it reports Ready.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const fixture = (name: string) => join(repoRoot, "test/e2e/admission", name);

describe("admission plugins", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  before(async () => {
    server = await startServer({ simNodes: 1 });
    kubectl = kubectlFor(server.kubeconfig);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("gives a pod its namespace's default requests and limits, and refuses one over the max with upstream's message", async () => {
    await kubectl.ok(["create", "namespace", "limited"]);
    assert.match(await kubectl.ok(["apply", "-f", fixture("limit-range.yaml")]), /limitrange\/cpu-mem created/);
    assert.match(await kubectl.ok(["describe", "limits", "cpu-mem", "-n", "limited"]), /Container\s+cpu\s+-\s+1\s+100m\s+500m\s+-/);
    await kubectl.ok(["run", "app", "--image=busybox", "-n", "limited"]);
    const pod = await json(["get", "pod", "app", "-n", "limited"]);
    assert.deepEqual(pod.spec.containers[0].resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    assert.equal(pod.metadata.annotations["kubernetes.io/limit-ranger"], "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app");

    const big = JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "big" }, spec: { containers: [{ name: "c", image: "busybox", resources: { limits: { cpu: "2" } } }] } });
    const refused = await kubectl.run(["apply", "-n", "limited", "-f", "-"], { input: big });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Error from server \(Forbidden\): error when creating "STDIN": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
    assert.equal((await kubectl.run(["get", "pod", "big", "-n", "limited"])).code, 1, "nothing was created");

    const invalid = await kubectl.run(["apply", "-n", "limited", "-f", "-"], { input: JSON.stringify({
      apiVersion: "v1", kind: "LimitRange", metadata: { name: "upside-down" }, spec: { limits: [{ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }] },
    }) });
    assert.match(invalid.stderr, /spec\.limits\[0\]\.min\[cpu\]: Invalid value: "2": min value 2 is greater than max value 1/);
  });

  it("keeps a claim while a pod uses it, and lets it go once the pod is deleted", async () => {
    await kubectl.ok(["apply", "-f", fixture("claim-and-user.yaml")]);
    await eventually(async () => (await json(["get", "pod", "user"])).status.phase === "Running", 30_000, 200);
    const claim = await json(["get", "pvc", "data"]);
    assert.deepEqual(claim.metadata.finalizers, ["kubernetes.io/pvc-protection"]);
    assert.deepEqual((await json(["get", "pv", claim.spec.volumeName])).metadata.finalizers, ["kubernetes.io/pv-protection"]);

    await kubectl.ok(["delete", "pvc", "data", "--wait=false"]);
    assert.match(await kubectl.ok(["get", "pvc", "data"]), /^data\s+Terminating\s/m);
    const described = await kubectl.ok(["describe", "pvc", "data"]);
    assert.match(described, /Finalizers:\s+\[kubernetes\.io\/pvc-protection\]/);
    assert.match(described, /Used By:\s+user/);
    // Still there a while later: only the pod's going releases it.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await json(["get", "pvc", "data"])).metadata.finalizers[0], "kubernetes.io/pvc-protection");

    await kubectl.ok(["delete", "pod", "user"]);
    await kubectl.ok(["wait", "--for=delete", "pvc/data", "--timeout=30s"]);
    // The claim's volume is released and deleted after it, its own finalizer gone once it is no longer Bound.
    await eventually(async () => (await json(["get", "pv"])).items.length === 0, 30_000, 200);
  });

  it("refuses a pod whose RuntimeClass does not exist, and applies one that does", async () => {
    const missing = await kubectl.run(["run", "sandboxed", "--image=busybox", "--overrides", JSON.stringify({ spec: { runtimeClassName: "gvisor" } })]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Error from server \(Forbidden\): pods "sandboxed" is forbidden: pod rejected: RuntimeClass "gvisor" not found/);

    await kubectl.ok(["apply", "-f", fixture("runtime-class.yaml")]);
    assert.match(await kubectl.ok(["get", "runtimeclass"]), /^gvisor\s+runsc\s+\d+s$/m);
    await kubectl.ok(["run", "sandboxed", "--image=busybox", "--overrides", JSON.stringify({ spec: { runtimeClassName: "gvisor" } })]);
    const pod = await json(["get", "pod", "sandboxed"]);
    assert.deepEqual(pod.spec.overhead, { cpu: "250m", memory: "64Mi" });
    assert.deepEqual(pod.spec.nodeSelector, { type: "sim" });
    await eventually(async () => (await json(["get", "pod", "sandboxed"])).spec.nodeName === "sim-node-0", 30_000, 200);
  });

  it("a new node is tainted not-ready until it reports Ready", async () => {
    const ready = (status: string) => ({ type: "Ready", status, reason: status === "True" ? "KubeletReady" : "KubeletNotReady", lastHeartbeatTime: new Date().toISOString() });
    const node = JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "late" }, status: { conditions: [ready("False")] } });
    const created = JSON.parse(await kubectl.ok(["create", "-f", "-", "-o", "json"], { input: node }));
    assert.deepEqual(created.spec.taints, [{ key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }]);
    try {
      const taintsOf = async () => ((await json(["get", "node", "late"])).spec.taints ?? []).map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort();
      // Not ready: the node lifecycle controller keeps it off limits, and adds upstream's NoExecute taint.
      await eventually(async () => JSON.stringify(await taintsOf()) === JSON.stringify(["node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/not-ready:NoSchedule"]), 15_000, 200);
      await kubectl.ok(["patch", "node", "late", "--subresource=status", "--type=merge", "-p", JSON.stringify({ status: { conditions: [ready("True")] } })]);
      await eventually(async () => (await taintsOf()).length === 0, 15_000, 200);
    } finally {
      await kubectl.ok(["delete", "node", "late"]);
    }
    // The simulated node reported Ready from the start: nothing of its taint is left, and pods landed there (above).
    assert.equal((await json(["get", "node", "sim-node-0"])).spec.taints, undefined);
  });
});
