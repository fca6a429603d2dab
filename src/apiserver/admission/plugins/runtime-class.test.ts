import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Pod, Toleration } from "kubernetes-types/core/v1.js";
import type { RuntimeClass as RuntimeClassObject } from "kubernetes-types/node/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { ResourceInfo } from "../../../api/resources.js";
import { mergeTolerations } from "../../../api/merge-tolerations.js";
import type { AdmissionAttributes } from "../admission.js";
import { RuntimeClass } from "./runtime-class.js";

const info = { group: "", version: "v1", resource: "pods", namespaced: true, kind: "", singular: "", subresources: [], verbs: [], storagePrefix: "pods" } as ResourceInfo;
const attrs = (object: Pod, a: Partial<AdmissionAttributes> = {}): AdmissionAttributes =>
  ({ info, operation: "CREATE", object: object as Kube<Pod>, namespace: "ns", name: "", subresource: "", user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {}, ...a });

const classes: Record<string, RuntimeClassObject> = {
  gvisor: {
    metadata: { name: "gvisor" }, handler: "runsc",
    overhead: { podFixed: { cpu: "250m", memory: "120Mi" } },
    scheduling: { nodeSelector: { sandbox: "gvisor" }, tolerations: [{ key: "sandbox", operator: "Exists", effect: "NoSchedule" }] },
  },
  plain: { metadata: { name: "plain" }, handler: "runc" },
};
const plugin = new RuntimeClass({ getRuntimeClass: async (name) => classes[name] });

const newPod = (spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod => ({ metadata: { name: "x", namespace: "ns" }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } });

async function outcome(pod: Pod, a: Partial<AdmissionAttributes> = {}): Promise<string> {
  try {
    await plugin.admit(attrs(pod, a));
    await plugin.validate(attrs(pod, a));
    return "ok";
  } catch (err) {
    return `${(err as { code: number }).code} ${(err as Error).message}`;
  }
}

describe("RuntimeClass admission", () => {
  it("takes the class's overhead and merges its node selector and tolerations", async () => {
    const pod = newPod({ runtimeClassName: "gvisor", nodeSelector: { zone: "a" }, tolerations: [{ key: "x", operator: "Exists" }] });
    assert.equal(await outcome(pod), "ok");
    assert.deepEqual(pod.spec!.overhead, { cpu: "250m", memory: "120Mi" });
    assert.deepEqual(pod.spec!.nodeSelector, { zone: "a", sandbox: "gvisor" });
    assert.deepEqual(pod.spec!.tolerations, [{ key: "x", operator: "Exists" }, { key: "sandbox", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("accepts a pod that states the class's overhead, however written", async () => {
    assert.equal(await outcome(newPod({ runtimeClassName: "gvisor", overhead: { cpu: "0.25", memory: "120Mi" } })), "ok");
  });

  const refused: [string, Pod, string][] = [
    ["a class that does not exist", newPod({ runtimeClassName: "kata" }), `403 pods "x" is forbidden: pod rejected: RuntimeClass "kata" not found`],
    ["another overhead than the class's", newPod({ runtimeClassName: "gvisor", overhead: { cpu: "1" } }), `403 pods "x" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead`],
    ["an overhead with a class that has none", newPod({ runtimeClassName: "plain", overhead: { cpu: "1" } }), `403 pods "x" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`],
    ["an overhead without a class", newPod({ overhead: { cpu: "1" } }), `403 pods "x" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`],
    ["a node selector the class contradicts", newPod({ runtimeClassName: "gvisor", nodeSelector: { sandbox: "kata" } }),
      `403 pods "x" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = kata`],
  ];
  for (const [name, pod, want] of refused) it(`refuses ${name}`, async () => assert.equal(await outcome(pod), want));

  it("leaves pods without a class, updates and subresources alone", async () => {
    const pod = newPod();
    assert.equal(await outcome(pod), "ok");
    assert.equal(pod.spec!.overhead, undefined);
    assert.equal(await outcome(newPod({ runtimeClassName: "kata" }), { operation: "UPDATE" }), "ok");
    assert.equal(await outcome(newPod({ runtimeClassName: "kata" }), { subresource: "binding" }), "ok");
  });
});

describe("mergeTolerations", () => {
  const t = (x: Toleration) => x;
  const cases: [string, Toleration[], Toleration[], Toleration[]][] = [
    ["disjoint lists are joined", [t({ key: "a", operator: "Exists" })], [t({ key: "b", operator: "Exists" })], [{ key: "a", operator: "Exists" }, { key: "b", operator: "Exists" }]],
    ["an equal one is kept once", [t({ key: "a", operator: "Exists" })], [t({ key: "a", operator: "Exists" })], [{ key: "a", operator: "Exists" }]],
    ["Exists covers Equal of the same key", [t({ key: "a", operator: "Equal", value: "1" })], [t({ key: "a", operator: "Exists" })], [{ key: "a", operator: "Exists" }]],
    ["an empty effect covers every effect", [t({ key: "a", operator: "Exists", effect: "NoSchedule" })], [t({ key: "a", operator: "Exists" })], [{ key: "a", operator: "Exists" }]],
    ["a longer NoExecute toleration covers a shorter one", [t({ key: "a", operator: "Exists", effect: "NoExecute", tolerationSeconds: 10 })],
      [t({ key: "a", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 })], [{ key: "a", operator: "Exists", effect: "NoExecute", tolerationSeconds: 60 }]],
    ["an empty key with Exists covers all", [t({ key: "a", operator: "Equal", value: "1", effect: "NoSchedule" })], [t({ operator: "Exists" })], [{ operator: "Exists" }]],
  ];
  for (const [name, a, b, want] of cases) it(name, () => assert.deepEqual(mergeTolerations(a, b), want));
});
