import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";
import { NodeInfo, type CycleState, type ScorePlugin, type Snapshot } from "./framework.js";
import { ImageStates } from "./image-states.js";
import { ImageLocality } from "./plugins/image-locality.js";
import { InterPodAffinity, scoringTermsOf, termsOf } from "./plugins/inter-pod-affinity.js";
import { NodeAffinity } from "./plugins/node-affinity.js";
import { BalancedAllocation } from "./plugins/node-resources-balanced-allocation.js";
import { NodeResourcesFit } from "./plugins/node-resources-fit.js";
import { PodTopologySpread } from "./plugins/pod-topology-spread.js";
import { TaintToleration } from "./plugins/taint-toleration.js";
import { numFeasibleNodesToFind, prioritizeNodes, selectHost } from "./prioritize.js";
import { TopologyCounts } from "./topology-counts.js";

function cluster(count: number) {
  const nodes = new Map<string, NodeInfo>();
  const topology = new TopologyCounts(() => nodes.values(), (p) => termsOf(p, "podAntiAffinity", "required"), scoringTermsOf);
  for (let i = 0; i < count; i++) {
    const info = new NodeInfo({ metadata: { name: `n${i}`, labels: { "kubernetes.io/hostname": `n${i}` } }, status: { allocatable: { cpu: "32", memory: "256Gi", pods: "110" } } }, topology);
    nodes.set(info.name, info);
    topology.nodeChanged(info, 1);
  }
  const snapshot: Snapshot = { nodes: () => [...nodes.values()], topology, images: new ImageStates() };
  return { nodes, snapshot };
}

/** A plugin that gives each node a fixed raw score, and counts its calls. */
function fixed(name: string, weight: number, raw: Record<string, number>, normalize?: (s: number[]) => void): ScorePlugin & { calls: number } {
  return {
    name, weight, calls: 0,
    score(_pod, node) { this.calls++; return raw[node.name] ?? 0; },
    ...(normalize ? { normalizeScore: normalize } : {}),
  };
}

/** A pod the fixed-score plugins do not read. */
const anyPod: Kube<Pod> = { metadata: {} };

describe("prioritizeNodes and selectHost", () => {
  it("adds each plugin's normalised score times its weight", () => {
    const { snapshot } = cluster(3);
    const nodes = snapshot.nodes();
    const halve = (s: number[]) => { for (let i = 0; i < s.length; i++) s[i] = s[i]! / 2; };
    const totals = prioritizeNodes([fixed("a", 1, { n0: 10, n1: 20 }), fixed("b", 3, { n1: 40, n2: 100 }, halve)], anyPod, snapshot, new Map(), nodes);
    assert.deepEqual(totals, [10, 20 + 60, 150]);
  });

  it("skips a plugin whose preScore says so, and does not score a single feasible node", () => {
    const { snapshot } = cluster(2);
    const skipped = { ...fixed("s", 1, { n0: 100 }), preScore: () => false as const };
    assert.deepEqual(prioritizeNodes([skipped], anyPod, snapshot, new Map(), snapshot.nodes()), [0, 0]);
    const counted = fixed("c", 1, {});
    assert.equal(selectHost([counted], anyPod, snapshot, new Map(), [snapshot.nodes()[1]!])?.name, "n1");
    assert.equal(counted.calls, 0);
    assert.equal(selectHost([counted], anyPod, snapshot, new Map(), []), undefined);
  });

  it("picks the best node, and among tied nodes each with the same chance", () => {
    const { snapshot } = cluster(4);
    const plugin = fixed("t", 1, { n0: 5, n1: 9, n2: 9, n3: 9 });
    assert.equal(selectHost([plugin], anyPod, snapshot, new Map(), snapshot.nodes().slice(0, 2))?.name, "n1");
    const picked = new Map<string, number>();
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 3000; i++) {
      const name = selectHost([plugin], anyPod, snapshot, new Map(), snapshot.nodes(), random)!.name;
      picked.set(name, (picked.get(name) ?? 0) + 1);
    }
    assert.deepEqual([...picked.keys()].sort(), ["n1", "n2", "n3"]);
    for (const n of picked.values()) assert.ok(n > 800 && n < 1200, `each tied node about a third of the time: ${[...picked]}`);
  });
});

describe("numFeasibleNodesToFind", () => {
  it("follows upstream's adaptive percentage", () => {
    for (const [all, want] of [[0, 0], [99, 99], [100, 100], [250, 120], [1000, 420], [5000, 500], [6000, 300], [20000, 1000]]) {
      assert.equal(numFeasibleNodesToFind(all!), want, `${all} nodes`);
    }
  });
});

describe("the default score plugins together", () => {
  const rs = { metadata: { name: "spread-1", namespace: "default" }, spec: { selector: { matchLabels: { app: "spread", "pod-template-hash": "1" } } } };
  const listers = { services: () => [], replicationController: () => undefined, statefulSet: () => undefined, replicaSet: () => rs };
  const scorers = (): ScorePlugin[] => [new TaintToleration(), new NodeAffinity(), new NodeResourcesFit(), new PodTopologySpread(listers), new InterPodAffinity(), new BalancedAllocation(), new ImageLocality()];
  const replica = (i: number): Kube<Pod> => ({
    metadata: { name: `spread-${i}`, namespace: "default", labels: { app: "spread", "pod-template-hash": "1" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "spread-1", uid: "u", controller: true }] },
    spec: { containers: [{ name: "nginx", image: "nginx" }] },
  });

  it("spread a ReplicaSet's pods evenly, even onto the emptier node when another holds more other pods", () => {
    const { nodes, snapshot } = cluster(3);
    for (let i = 0; i < 5; i++) nodes.get("n0")!.addPod(`default/other-${i}`, { metadata: { name: `other-${i}`, namespace: "default" }, spec: { containers: [{ name: "c" }] } });
    const plugins = scorers();
    for (let i = 0; i < 9; i++) {
      const state: CycleState = new Map();
      const node = selectHost(plugins, replica(i), snapshot, state, snapshot.nodes())!;
      node.addPod(`default/spread-${i}`, { ...replica(i), spec: { ...replica(i).spec!, nodeName: node.name } });
    }
    const perNode = [...nodes.values()].map((n) => [...n.pods.keys()].filter((k) => k.startsWith("default/spread-")).length);
    assert.deepEqual(perNode, [3, 3, 3]);
  });
});
