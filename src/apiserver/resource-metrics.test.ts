import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeletProxy } from "./kubelet-proxy.js";
import { ResourceMetrics } from "./resource-metrics.js";

const node = { metadata: { name: "n1" } };
const pod = (name: string, app: string) => ({ metadata: { name, namespace: "default", uid: `uid-${name}`, labels: { app } } });
const pods = [pod("web-1", "web"), pod("web-2", "web"), pod("db-1", "db")];

/** A kubelet (a fake of the proxy, for this one piece) whose summary reports every pod at 5m cpu; counts its scrapes. */
function kubelet(fail = false) {
  const calls = { n: 0 };
  const summary = async () => {
    calls.n++;
    if (fail) throw new Error("kubelet unreachable");
    const cpu = { time: "2026-12-02T00:00:00Z", usageNanoCores: 5_000_000 };
    return {
      node: { cpu, memory: { workingSetBytes: 1 << 20 } },
      pods: pods.map((p) => ({ podRef: { uid: p.metadata.uid }, cpu, containers: [{ name: "c", cpu, memory: { workingSetBytes: 2048 } }] })),
    };
  };
  return { calls, proxy: { summary } as unknown as KubeletProxy };
}

describe("metrics.k8s.io", () => {
  it("serves the pods a selector picks, in upstream's shape", async () => {
    const { proxy } = kubelet();
    const metrics = new ResourceMetrics(proxy, { nodes: async () => [node], pods: async () => pods });
    const list = await metrics.get("pods", "default", undefined, new URLSearchParams({ labelSelector: "app=web" }));
    assert.equal(list.kind, "PodMetricsList");
    assert.deepEqual(list.items.map((i: { metadata: { name: string } }) => i.metadata.name), ["web-1", "web-2"]);
    assert.deepEqual(list.items[0].containers, [{ name: "c", usage: { cpu: "5000000n", memory: "2Ki" } }]);
    const one = await metrics.get("pods", "default", "db-1", new URLSearchParams());
    assert.equal(one.kind, "PodMetrics");
    await assert.rejects(metrics.get("pods", "default", "gone", new URLSearchParams()), { code: 404 });
  });

  it("scrapes the kubelets once for every request within a few seconds, then again", async () => {
    let now = 1_000_000;
    const { calls, proxy } = kubelet();
    const metrics = new ResourceMetrics(proxy, { nodes: async () => [node], pods: async () => pods }, () => now);
    await Promise.all(Array.from({ length: 50 }, () => metrics.get("pods", "default", undefined, new URLSearchParams())));
    await metrics.get("nodes", undefined, "n1", new URLSearchParams());
    assert.equal(calls.n, 1);
    now += 6_000;
    await metrics.get("nodes", undefined, undefined, new URLSearchParams());
    assert.equal(calls.n, 2);
  });

  it("keeps no failed scrape: the next request asks again", async () => {
    const { proxy } = kubelet();
    let down = true;
    const metrics = new ResourceMetrics(proxy, { nodes: async () => { if (down) throw new Error("store down"); return [node]; }, pods: async () => pods }, () => 0);
    await assert.rejects(metrics.get("nodes", undefined, undefined, new URLSearchParams()), /store down/);
    down = false;
    assert.equal((await metrics.get("nodes", undefined, undefined, new URLSearchParams())).items.length, 1);
  });

  it("counts an unreachable kubelet as a node without metrics", async () => {
    const { proxy } = kubelet(true);
    const metrics = new ResourceMetrics(proxy, { nodes: async () => [node], pods: async () => pods });
    assert.deepEqual((await metrics.get("nodes", undefined, undefined, new URLSearchParams())).items, []);
  });
});
