import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Container, NodeSpec, Pod, PodSpec } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { NodeInfo } from "../framework.js";
import { NodeAffinity } from "./node-affinity.js";
import { NodeName } from "./node-name.js";
import { NodeResourcesFit } from "./node-resources-fit.js";
import { NodeUnschedulable } from "./node-unschedulable.js";
import { TaintToleration } from "./taint-toleration.js";

const newNode = (name: string, extra: { labels?: Record<string, string>; spec?: NodeSpec } = {}): NodeInfo => new NodeInfo({
  metadata: { name, labels: { zone: "a", ...(extra.labels ?? {}) } },
  spec: extra.spec ?? {},
  status: { allocatable: { cpu: "2", memory: "4Gi", pods: "3" } },
});
/** container: what the pod's one container adds to its name and image. */
const newPod = (spec: Partial<PodSpec> & { container?: Partial<Container> } = {}): Kube<Pod> => ({ metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "c", image: "i", ...(spec.container ?? {}) }], ...spec } });

describe("scheduler plugins", () => {
  it("NodeName fits only the named node", () => {
    assert.equal(new NodeName().filter(newPod({ nodeName: "n1" }), newNode("n1")).code, "Success");
    assert.equal(new NodeName().filter(newPod({ nodeName: "n1" }), newNode("n2")).code, "UnschedulableAndUnresolvable");
  });
  it("NodeUnschedulable keeps pods off cordoned nodes unless tolerated", () => {
    const cordoned = newNode("n", { spec: { unschedulable: true } });
    assert.deepEqual(new NodeUnschedulable().filter(newPod(), cordoned).reasons, ["node(s) were unschedulable"]);
    assert.equal(new NodeUnschedulable().filter(newPod({ tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] }), cordoned).code, "Success");
  });
  it("TaintToleration filters NoSchedule taints and scores PreferNoSchedule ones", () => {
    const tainted = newNode("n", { spec: { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } });
    assert.deepEqual(new TaintToleration().filter(newPod(), tainted).reasons, ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]);
    assert.equal(new TaintToleration().filter(newPod({ tolerations: [{ operator: "Exists" }] }), tainted).code, "Success");
    const preferNot = newNode("n", { spec: { taints: [{ key: "k", value: "v", effect: "PreferNoSchedule" }] } });
    assert.equal(new TaintToleration().score(newPod(), preferNot), 1, "one intolerable PreferNoSchedule taint (normalised in scoring.test.ts)");
    assert.equal(new TaintToleration().score(newPod(), newNode("clean")), 0);
  });
  it("NodeResourcesFit counts requests against allocatable", () => {
    const node = newNode("n");
    node.addPod("default/a", newPod({ container: { resources: { requests: { cpu: "1500m", memory: "1Gi" } } } }));
    const fit = new NodeResourcesFit();
    assert.equal(fit.filter(newPod({ container: { resources: { requests: { cpu: "500m" } } } }), node).code, "Success");
    assert.deepEqual(fit.filter(newPod({ container: { resources: { requests: { cpu: "600m", memory: "4Gi" } } } }), node).reasons, ["Insufficient cpu", "Insufficient memory"]);
    assert.ok(fit.score(newPod(), newNode("empty")) > fit.score(newPod(), node), "LeastAllocated prefers the emptier node");
    node.addPod("default/b", newPod());
    node.addPod("default/c", newPod());
    assert.deepEqual(fit.filter(newPod(), node).reasons, ["Too many pods"]);
    node.removePod("default/a");
    assert.equal(node.requested.milliCPU, 0);
  });
  it("NodeResourcesFit counts ephemeral-storage and extended resources against allocatable only", () => {
    const node = new NodeInfo({
      metadata: { name: "n" },
      status: { capacity: { cpu: "2", memory: "4Gi", pods: "10", "ephemeral-storage": "10Gi", "example.com/widget": "10", "example.com/gadget": "4" }, allocatable: { cpu: "2", memory: "4Gi", pods: "10", "ephemeral-storage": "10Gi", "example.com/widget": "10" } },
    });
    const wants = (requests: Record<string, string>, init?: Record<string, string>) => newPod({ container: { resources: { requests } }, ...(init ? { initContainers: [{ name: "i", image: "i", resources: { requests: init } }] } : {}) });
    const fit = new NodeResourcesFit();
    node.addPod("default/a", wants({ "example.com/widget": "6", "ephemeral-storage": "8Gi" }));
    assert.equal(fit.filter(wants({ "example.com/widget": "4" }), node).code, "Success");
    assert.deepEqual(fit.filter(wants({ "example.com/widget": "5", "ephemeral-storage": "3Gi" }), node), { code: "Unschedulable", reasons: ["Insufficient example.com/widget", "Insufficient ephemeral-storage"] });
    assert.deepEqual(fit.filter(wants({ "example.com/widget": "11" }), node), { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient example.com/widget"] }, "more than the node has at all");
    assert.deepEqual(fit.filter(wants({ "example.com/gadget": "1" }), node), { code: "UnschedulableAndUnresolvable", reasons: ["Insufficient example.com/gadget"] }, "in capacity but not allocatable: none");
    assert.deepEqual(fit.filter(wants({ "example.com/widget": "1" }, { "example.com/widget": "5" }), node).reasons, ["Insufficient example.com/widget"], "the largest init container counts");
    node.removePod("default/a");
    assert.equal(fit.filter(wants({ "example.com/widget": "10" }), node).code, "Success", "a removed pod's requests are given back");
    assert.equal(node.requestedScalar.size, 0);
  });
  it("NodeAffinity honours nodeSelector, required terms and preferred weights", () => {
    const a = new NodeAffinity();
    assert.equal(a.filter(newPod({ nodeSelector: { zone: "a" } }), newNode("n")).code, "Success");
    assert.equal(a.filter(newPod({ nodeSelector: { zone: "b" } }), newNode("n")).code, "UnschedulableAndUnresolvable");
    const required = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, { matchExpressions: [{ key: "gpu", operator: "Exists" }] }] } } } };
    assert.equal(a.filter(newPod(required), newNode("n")).code, "UnschedulableAndUnresolvable");
    assert.equal(a.filter(newPod(required), newNode("n", { labels: { gpu: "1" } })).code, "Success");
    const preferred = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } }, { weight: 20, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } }] } } };
    assert.equal(a.score(newPod(preferred), newNode("n", { labels: { gpu: "1" } })), 100);
    assert.equal(a.score(newPod(preferred), newNode("n")), 20);
  });
});
