import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod, PodSpec } from "kubernetes-types/core/v1.js";
import { labelSelectorRequirements } from "../api/selectors.js";
import type { Kube } from "../client/index.js";
import { NodeInfo, type CycleState, type FilterPlugin, type Snapshot } from "./framework.js";
import { InterPodAffinity, termsOf } from "./plugins/inter-pod-affinity.js";
import { PodTopologySpread } from "./plugins/pod-topology-spread.js";
import { DefaultPreemption } from "./preemption.js";
import { NodeResourcesFit } from "./plugins/node-resources-fit.js";
import { TopologyCounts, selectorMatches, type Selector } from "./topology-counts.js";

function cluster(zones: string[]) {
  const nodes = new Map<string, NodeInfo>();
  const topology = new TopologyCounts(() => nodes.values(), (p) => termsOf(p, "podAntiAffinity", "required"));
  zones.forEach((zone, i) => {
    const info = new NodeInfo({ metadata: { name: `n${i}`, labels: { zone, "kubernetes.io/hostname": `n${i}` } }, status: { allocatable: { cpu: "2", memory: "4Gi", pods: "110" } } }, topology);
    nodes.set(info.name, info);
    topology.nodeChanged(info, 1);
  });
  const snapshot: Snapshot = { nodes: () => [...nodes.values()], topology };
  return { nodes, topology, snapshot };
}

/** The nodes a filter plugin lets a pod onto. */
const fitting = (plugin: FilterPlugin, nodes: Map<string, NodeInfo>, snapshot: Snapshot) => (p: Kube<Pod>) => [...nodes.values()].filter((n) => {
  const state: CycleState = new Map();
  plugin.preFilter?.(p, snapshot, state);
  return plugin.filter(p, n, state).code === "Success";
}).map((n) => n.name);

const pod = (name: string, labels: Record<string, string>, spec: Partial<PodSpec> = {}): Kube<Pod> => ({ metadata: { name, namespace: "default", labels }, spec: { containers: [{ name: "c" }], ...spec } });

describe("incremental topology counts", () => {
  it("match a recount after pods come and go", () => {
    const { nodes, topology } = cluster(["a", "a", "b", "c"]);
    const sel: Selector = { reqs: labelSelectorRequirements({ matchLabels: { app: "web" } }), namespaces: new Set(["default"]), topologyKey: "zone" };
    topology.counts(sel);
    const all = [...nodes.values()];
    for (let i = 0; i < 200; i++) {
      const info = all[i % all.length]!;
      info.addPod(`default/p${i}`, pod(`p${i}`, { app: i % 3 ? "web" : "db" }));
      if (i % 5 === 0) all[(i * 7) % all.length]!.removePod(`default/p${i - 5}`);
    }
    const recount = new Map<string, number>();
    for (const info of nodes.values()) for (const p of info.pods.values()) if (selectorMatches(sel, p)) recount.set(info.node.metadata.labels!.zone!, (recount.get(info.node.metadata.labels!.zone!) ?? 0) + 1);
    assert.deepEqual(new Map([...topology.counts(sel)].sort()), new Map([...recount].sort()));
    assert.deepEqual(topology.domains("zone"), new Map([["a", 2], ["b", 1], ["c", 1]]));
  });

  it("let InterPodAffinity keep anti-affine pods apart and honour existing pods' terms", () => {
    const { nodes, snapshot } = cluster(["a", "b"]);
    const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, topologyKey: "zone" }] } } };
    nodes.get("n0")!.addPod("default/w0", pod("w0", { app: "web" }, anti));
    const fits = fitting(new InterPodAffinity(), nodes, snapshot);
    assert.deepEqual(fits(pod("w1", { app: "web" }, anti)), ["n1"]);
    assert.deepEqual(fits(pod("plain", { app: "web" })), ["n1"], "w0's own term forbids zone a to any web pod");
    assert.deepEqual(fits(pod("other", { app: "db" })), ["n0", "n1"]);
    nodes.get("n0")!.removePod("default/w0");
    assert.deepEqual(fits(pod("plain", { app: "web" })), ["n0", "n1"]);
  });

  it("let PodTopologySpread keep the skew within maxSkew", () => {
    const { nodes, snapshot } = cluster(["a", "b", "c"]);
    const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } } }] };
    const fits = fitting(new PodTopologySpread(), nodes, snapshot);
    nodes.get("n0")!.addPod("default/w0", pod("w0", { app: "web" }, spread));
    assert.deepEqual(fits(pod("w1", { app: "web" }, spread)), ["n1", "n2"]);
    nodes.get("n1")!.addPod("default/w1", pod("w1", { app: "web" }, spread));
    assert.deepEqual(fits(pod("w2", { app: "web" }, spread)), ["n2"]);
  });
});

describe("preemption", () => {
  const cpu = (name: string, milli: number, priority: number): Kube<Pod> => pod(name, {}, { priority, containers: [{ name: "c", resources: { requests: { cpu: `${milli}m` } } }] });

  it("evicts the fewest, least important pods on the best node", () => {
    const { nodes, snapshot } = cluster(["a", "b"]);
    nodes.get("n0")!.addPod("default/a1", cpu("a1", 1000, 100));
    nodes.get("n0")!.addPod("default/a2", cpu("a2", 1000, 100));
    nodes.get("n1")!.addPod("default/b1", cpu("b1", 1000, 10));
    nodes.get("n1")!.addPod("default/b2", cpu("b2", 500, 5));
    nodes.get("n1")!.addPod("default/b3", cpu("b3", 500, 5000));
    const preemption = new DefaultPreemption([new NodeResourcesFit()]);
    const statuses = new Map([["n0", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }], ["n1", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }]]);
    const outcome = preemption.preempt(cpu("big", 1000, 1000), snapshot, statuses);
    assert.equal(outcome.candidate?.node.name, "n1", "victims of priority 10 beat victims of priority 100");
    assert.deepEqual(outcome.candidate?.victims.map((v) => v.metadata.name), ["b1"], "b2 is reprieved: evicting b1 alone frees enough");
    assert.equal(nodes.get("n1")!.pods.size, 3, "the node's pods are all accounted again afterwards");
    assert.equal(nodes.get("n1")!.requested.milliCPU, 2000);
  });

  it("prefers victims whose eviction no PodDisruptionBudget forbids", () => {
    const { nodes, snapshot } = cluster(["a", "b"]);
    nodes.get("n0")!.addPod("default/db", { ...cpu("db", 2000, 5), metadata: { name: "db", namespace: "default", labels: { app: "db" } } });
    nodes.get("n1")!.addPod("default/web", cpu("web", 2000, 10));
    const statuses = new Map([["n0", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }], ["n1", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }]]);
    assert.equal(new DefaultPreemption([new NodeResourcesFit()]).preempt(cpu("big", 1000, 1000), snapshot, statuses).candidate?.node.name, "n0", "without budgets the least important victim goes");
    const budget = { metadata: { name: "db", namespace: "default" }, spec: { selector: { matchLabels: { app: "db" } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const outcome = new DefaultPreemption([new NodeResourcesFit()], () => [budget]).preempt(cpu("big", 1000, 1000), snapshot, statuses);
    assert.equal(outcome.candidate?.node.name, "n1");
    assert.equal(outcome.candidate?.pdbViolations, 0);
  });

  it("leaves the room a nominated pod waits for, and never preempts for a pod that fits", () => {
    const { nodes, snapshot } = cluster(["a"]);
    const n0 = nodes.get("n0")!;
    n0.addPod("default/low", cpu("low", 500, 0));
    n0.addPod("default/mid", cpu("mid", 500, 5));
    const waiting = cpu("waiting", 1500, 100);
    const statuses = new Map([["n0", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }]]);
    const preemption = new DefaultPreemption([new NodeResourcesFit()], () => [], (p) => (p.spec!.priority! <= 100 ? [["default/waiting", waiting]] : []));
    // 1000m are free, but the nominated pod waits for 1500m of them: evicting both would not make room for both.
    assert.equal((preemption.preempt(cpu("b", 1000, 10), snapshot, statuses) as { message: string }).message, "0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    assert.deepEqual([...n0.pods.keys()], ["default/low", "default/mid"], "the nominated pod is not left on the node");
    assert.equal(n0.requested.milliCPU, 1000);
    // More important than the nominated pod, it fits as things are: nobody is evicted for it.
    assert.equal(preemption.preempt(cpu("c", 1000, 200), snapshot, statuses).candidate, undefined);
  });

  it("explains why it cannot help", () => {
    const { nodes, snapshot } = cluster(["a"]);
    nodes.get("n0")!.addPod("default/x", cpu("x", 2000, 2000));
    const preemption = new DefaultPreemption([new NodeResourcesFit()]);
    const statuses = new Map([["n0", { code: "Unschedulable" as const, reasons: ["Insufficient cpu"] }]]);
    assert.equal((preemption.preempt(cpu("p", 1000, 1000), snapshot, statuses) as { message: string }).message, "0/1 nodes are available: 1 No preemption victims found for incoming pod.");
    assert.equal((preemption.preempt({ ...cpu("p", 1000, 1000), spec: { ...cpu("p", 1000, 1000).spec!, preemptionPolicy: "Never" } }, snapshot, statuses) as { message: string }).message, "not eligible due to preemptionPolicy=Never.");
  });
});
