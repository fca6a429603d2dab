/**
 * The score plugins, each against figures worked out by hand from upstream's
 * formulas: raw scores, normalisation to 0..100, and skipping.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerImage, Pod, PodSpec, Service, Taint } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { Kube } from "../../client/index.js";
import { NodeInfo, type CycleState, type ScorePlugin, type Snapshot } from "../framework.js";
import { ImageStates } from "../image-states.js";
import { TopologyCounts } from "../topology-counts.js";
import type { WorkloadListers } from "./default-spread-selector.js";
import { ImageLocality } from "./image-locality.js";
import { InterPodAffinity, scoringTermsOf, termsOf } from "./inter-pod-affinity.js";
import { NodeAffinity } from "./node-affinity.js";
import { BalancedAllocation } from "./node-resources-balanced-allocation.js";
import { NodeResourcesFit } from "./node-resources-fit.js";
import { PodTopologySpread } from "./pod-topology-spread.js";
import { TaintToleration } from "./taint-toleration.js";

interface NodeSpec { labels?: Record<string, string>; taints?: Taint[]; images?: ContainerImage[]; cpu?: string; memory?: string }

/** A cluster of nodes n0, n1, ... with the scheduler's incremental counts and image states. */
function cluster(specs: NodeSpec[]) {
  const nodes = new Map<string, NodeInfo>();
  const topology = new TopologyCounts(() => nodes.values(), (p) => termsOf(p, "podAntiAffinity", "required"), scoringTermsOf);
  const images = new ImageStates();
  specs.forEach((s, i) => {
    const node = {
      metadata: { name: `n${i}`, labels: { "kubernetes.io/hostname": `n${i}`, ...s.labels } },
      spec: { taints: s.taints },
      status: { allocatable: { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: "110" }, images: s.images },
    };
    const info = new NodeInfo(node, topology);
    nodes.set(info.name, info);
    topology.nodeChanged(info, 1);
    images.nodeAdded(node);
  });
  const snapshot: Snapshot = { nodes: () => [...nodes.values()], topology, images };
  const node = (name: string) => nodes.get(name)!;
  return { nodes, node, snapshot };
}

let seq = 0;
const newPod = (labels: Record<string, string> = {}, spec: Partial<PodSpec> = {}, metadata: ObjectMeta = {}): Kube<Pod> => ({
  metadata: { name: `p${++seq}`, namespace: "default", uid: `uid-${seq}`, labels, ...metadata },
  spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
});
const withRequests = (cpu: string, memory: string): PodSpec => ({ containers: [{ name: "c", image: "busybox", resources: { requests: { cpu, memory } } }] });

/** One plugin's final scores for the pod over all the cluster's nodes, as the scheduler computes them; undefined: skipped. */
function scores(plugin: ScorePlugin, pod: Kube<Pod>, snapshot: Snapshot): number[] | undefined {
  const nodes = snapshot.nodes();
  const state: CycleState = new Map();
  if (plugin.preScore?.(pod, snapshot, state, nodes) === false) return undefined;
  const out = nodes.map((n) => plugin.score(pod, n, state));
  plugin.normalizeScore?.(out, nodes, state);
  return out;
}

describe("NodeResourcesFit score (LeastAllocated)", () => {
  it("scores the free share of cpu and memory, counting a pod without requests at 100m and 200Mi", () => {
    const { node, snapshot } = cluster([{}, {}]);
    node("n1").addPod("default/big", newPod({}, withRequests("2", "4Gi")));
    // n0: cpu (4000-100)/4000 = 97.5% -> 97, memory (8192-200)/8192 = 97.6% -> 97; n1 adds 2000m and 4096Mi.
    assert.deepEqual(scores(new NodeResourcesFit(), newPod(), snapshot), [97, 47]);
    // A pod with requests counts them: (4000-1000)/4000 = 75, (8192-2048)/8192 = 75; on n1 25 and 25.
    assert.deepEqual(scores(new NodeResourcesFit(), newPod({}, withRequests("1", "2Gi")), snapshot), [75, 25]);
  });

  it("counts pods without requests on the node too, so they spread", () => {
    const { node, snapshot } = cluster([{ cpu: "1", memory: "1Gi" }, { cpu: "1", memory: "1Gi" }]);
    for (let i = 0; i < 3; i++) node("n0").addPod(`default/x${i}`, newPod());
    // n0: cpu (1000-400)/1000 = 60, memory (1024-800)/1024 = 21.9% -> 21, mean 40; n1: 90 and 80.4 -> 80, mean 85.
    assert.deepEqual(scores(new NodeResourcesFit(), newPod(), snapshot), [40, 85]);
  });

  it("gives 0 for a resource the pod's requests overflow, and MostAllocated the used share", () => {
    const { snapshot } = cluster([{ cpu: "1", memory: "1Gi" }]);
    assert.deepEqual(scores(new NodeResourcesFit(), newPod({}, withRequests("2", "512Mi")), snapshot), [25], "cpu 0, memory 50");
    assert.deepEqual(scores(new NodeResourcesFit("MostAllocated"), newPod({}, withRequests("2", "512Mi")), snapshot), [75], "cpu full, memory 50");
  });
});

describe("NodeResourcesBalancedAllocation score", () => {
  it("prefers the node where cpu and memory fractions stay close, counting requests as they are", () => {
    const { node, snapshot } = cluster([{}, {}]);
    node("n1").addPod("default/cpu-heavy", newPod({}, withRequests("2", "0")));
    const pod = newPod({}, withRequests("1", "1Gi"));
    // n0: 1000/4000 = 0.25 and 1/8 = 0.125 -> 100 * (1 - 0.0625) = 93; n1: 0.75 and 0.125 -> 68.
    assert.deepEqual(scores(new BalancedAllocation(), pod, snapshot), [93, 68]);
    assert.deepEqual(scores(new BalancedAllocation(), newPod(), snapshot), [100, 75], "a pod without requests adds nothing");
  });
});

describe("ImageLocality score", () => {
  const mb = 1024 * 1024;
  it("scores the pod's images a node has, scaled by how many nodes have them", () => {
    const big = { names: ["docker.io/library/app:1", "app:1"], sizeBytes: 500 * mb };
    const { snapshot } = cluster([{ images: [big] }, { images: [big, { names: ["sidecar:latest"], sizeBytes: 300 * mb }] }, {}]);
    // app:1 on 2 of 3 nodes: 333 MB; (333 - 23) / (1000 - 23) -> 31.
    assert.deepEqual(scores(new ImageLocality(), newPod({}, { containers: [{ name: "c", image: "app:1" }] }), snapshot), [31, 31, 0]);
    // Two containers: the range doubles; n1 has both: 333 + 100 MB -> (433 - 23) / (2000 - 23) -> 20; n0 only app: 15.
    const two = newPod({}, { containers: [{ name: "c", image: "app:1" }, { name: "s", image: "sidecar" }] });
    assert.deepEqual(scores(new ImageLocality(), two, snapshot), [15, 20, 0], "`sidecar` is `sidecar:latest`");
  });

  it("is skipped when no node reports images", () => {
    assert.equal(scores(new ImageLocality(), newPod(), cluster([{}, {}]).snapshot), undefined);
  });
});

describe("TaintToleration score", () => {
  it("ranks nodes by the PreferNoSchedule taints the pod does not tolerate", () => {
    const prefer = (key: string) => ({ key, value: "x", effect: "PreferNoSchedule" });
    const { snapshot } = cluster([{}, { taints: [prefer("a")] }, { taints: [prefer("a"), prefer("b"), { key: "c", effect: "NoSchedule" }] }]);
    assert.deepEqual(scores(new TaintToleration(), newPod(), snapshot), [100, 50, 0]);
    const tolerant = newPod({}, { tolerations: [{ key: "b", operator: "Exists" }] });
    assert.deepEqual(scores(new TaintToleration(), tolerant, snapshot), [100, 0, 0], "b tolerated: n1 and n2 have one each");
    const tolerantOfAll = newPod({}, { tolerations: [{ operator: "Exists", effect: "PreferNoSchedule" }] });
    assert.deepEqual(scores(new TaintToleration(), tolerantOfAll, snapshot), [100, 100, 100]);
  });
});

describe("NodeAffinity score", () => {
  it("sums the weights of the preferred terms a node matches, the best node at 100", () => {
    const { snapshot } = cluster([{ labels: { disk: "ssd", gpu: "1" } }, { labels: { disk: "ssd" } }, {}]);
    const term = (weight: number, key: string) => ({ weight, preference: { matchExpressions: [{ key, operator: "Exists" }] } });
    const pod = newPod({}, { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term(20, "disk"), term(60, "gpu")] } } });
    assert.deepEqual(scores(new NodeAffinity(), pod, snapshot), [100, 25, 0]);
    assert.equal(scores(new NodeAffinity(), newPod(), snapshot), undefined, "no preferred terms: skipped");
  });
});

describe("InterPodAffinity score", () => {
  const zones = [{ labels: { zone: "a" } }, { labels: { zone: "b" } }, { labels: { zone: "c" } }, {}];
  const preferred = (kind: "podAffinity" | "podAntiAffinity", weight: number, app: string) =>
    ({ [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: "zone" } }] } });

  it("weighs the pod's preferred terms by the matching pods of each domain", () => {
    const { node, snapshot } = cluster(zones);
    node("n0").addPod("default/c1", newPod({ app: "cache" }));
    node("n0").addPod("default/c2", newPod({ app: "cache" }));
    node("n2").addPod("default/c3", newPod({ app: "cache" }));
    // Raw 20, 0, 10, 0 (n3 has no zone): scaled between 0 and 20.
    assert.deepEqual(scores(new InterPodAffinity(), newPod({}, { affinity: preferred("podAffinity", 10, "cache") }), snapshot), [100, 0, 50, 0]);
    // Anti-affinity: raw -20, 0, -10, 0.
    assert.deepEqual(scores(new InterPodAffinity(), newPod({}, { affinity: preferred("podAntiAffinity", 10, "cache") }), snapshot), [0, 100, 50, 100]);
  });

  it("weighs existing pods' terms that match the incoming pod, required affinity at 1", () => {
    const { node, snapshot } = cluster(zones);
    node("n0").addPod("default/shy", newPod({ app: "shy" }, { affinity: preferred("podAntiAffinity", 5, "web") }));
    node("n1").addPod("default/fan", newPod({ app: "fan" }, { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, topologyKey: "zone" }] } } }));
    // Raw -5, 1, 0, 0: scaled between -5 and 1.
    assert.deepEqual(scores(new InterPodAffinity(), newPod({ app: "web" }), snapshot), [0, 100, 83, 83]);
    assert.equal(scores(new InterPodAffinity(), newPod({ app: "db" }), snapshot), undefined, "nothing applies to a db pod: skipped");
    node("n0").removePod("default/shy");
    node("n1").removePod("default/fan");
    assert.equal(scores(new InterPodAffinity(), newPod({ app: "web" }), snapshot), undefined, "the terms leave with their pods");
  });
});

describe("PodTopologySpread score", () => {
  const rs = { metadata: { name: "web-1", namespace: "default" }, spec: { selector: { matchLabels: { app: "web", hash: "1" } } } };
  const listers = (services: Kube<Service>[] = []): WorkloadListers => ({
    services: () => services, replicationController: () => undefined, statefulSet: () => undefined,
    replicaSet: (ns, name) => (ns === rs.metadata.namespace && name === rs.metadata.name ? rs : undefined),
  });
  const owned = { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "rs-uid", controller: true }] };
  const replica = () => newPod({ app: "web", hash: "1" }, {}, owned);

  it("spreads a ReplicaSet's pods by the system defaults, by hostname where nodes have no zone", () => {
    const { node, snapshot } = cluster([{}, {}, {}]);
    node("n0").addPod("default/r1", replica());
    node("n0").addPod("default/r2", replica());
    node("n1").addPod("default/r3", replica());
    // hostname, maxSkew 3, 3 domains: count * ln(5) + 2 -> 5, 4, 2; reversed between 2 and 5.
    assert.deepEqual(scores(new PodTopologySpread(listers()), replica(), snapshot), [40, 60, 100]);
  });

  it("weighs zones and hostnames together when nodes have both", () => {
    const { node, snapshot } = cluster([{ labels: { "topology.kubernetes.io/zone": "a" } }, { labels: { "topology.kubernetes.io/zone": "a" } }, { labels: { "topology.kubernetes.io/zone": "b" } }]);
    node("n0").addPod("default/r1", replica());
    // n0: 1 * ln(5) + 2 + 1 * ln(4) + 4 = 8.99 -> 9; n1: 2 + 1.39 + 4 = 7.39 -> 7; n2: 2 + 4 = 6.
    assert.deepEqual(scores(new PodTopologySpread(listers()), replica(), snapshot), [66, 88, 100]);
  });

  it("counts the pods a Service selects for a pod without a workload, and skips pods that belong to nothing", () => {
    const { node, snapshot } = cluster([{}, {}]);
    node("n0").addPod("default/s1", newPod({ app: "api" }));
    const svc = { metadata: { name: "api", namespace: "default" }, spec: { selector: { app: "api" } } };
    assert.deepEqual(scores(new PodTopologySpread(listers([svc])), newPod({ app: "api" }), snapshot), [66, 100], "1 * ln(4) + 2 -> 3 against 2");
    assert.equal(scores(new PodTopologySpread(listers([svc])), newPod({ app: "other" }), snapshot), undefined);
    assert.equal(scores(new PodTopologySpread(listers([{ metadata: { name: "headless" }, spec: {} }])), newPod({ app: "api" }), snapshot), undefined, "a Service without a selector selects nothing");
  });

  it("scores a pod's own ScheduleAnyway constraints, nodes without the key at 0, and leaves pods being deleted out", () => {
    const { node, snapshot } = cluster([{ labels: { zone: "a" } }, { labels: { zone: "b" } }, {}]);
    node("n0").addPod("default/w1", newPod({ app: "w" }));
    node("n1").addPod("default/w2", newPod({ app: "w" }, {}, { deletionTimestamp: "2025-01-01T00:00:00Z" }));
    const pod = newPod({ app: "w" }, { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "w" } } }] });
    // 2 zones among the nodes with the key: n0 1 * ln(4) = 1.39 -> 1, n1 0; n2 is left out.
    assert.deepEqual(scores(new PodTopologySpread(listers()), pod, snapshot), [0, 100, 0]);
  });
});
