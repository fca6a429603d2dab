import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimitRange, LimitRangeItem, Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { ResourceInfo } from "../../../api/resources.js";
import { defaultLimitRange } from "../../registry/core/limitranges/defaults.js";
import type { AdmissionAttributes, AdmissionObject } from "../admission.js";
import { LimitRanger } from "./limit-ranger.js";

const info = (resource: string) => ({ group: "", version: "v1", resource, namespaced: true, kind: "", singular: "", subresources: [], verbs: [], storagePrefix: resource }) as ResourceInfo;

function limitRange(...limits: LimitRangeItem[]): LimitRange {
  const lr: LimitRange = { metadata: { name: "limits", namespace: "ns" }, spec: { limits } };
  defaultLimitRange(lr); // as the API server stores it
  return lr;
}

function newPod(containers: Record<string, { requests?: Record<string, string>; limits?: Record<string, string> }>, init: typeof containers = {}): Kube<Pod> {
  const list = (cs: typeof containers) => Object.entries(cs).map(([name, resources]) => ({ name, image: "busybox", resources: structuredClone(resources) }));
  return { metadata: { name: "x", namespace: "ns" }, spec: { containers: list(containers), initContainers: Object.keys(init).length ? list(init) : undefined } };
}

function attrs(object: AdmissionObject, a: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return { info: info("pods"), operation: "CREATE", object, namespace: "ns", name: "", subresource: "", user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {}, ...a };
}

/** A plugin over a fake lister: the cache holds `cached`, storage holds `stored`; counts storage reads. */
function plugin(cached: LimitRange[], stored: LimitRange[] = cached) {
  const reads = { n: 0 };
  const p = new LimitRanger({ cached: () => cached, list: async () => { reads.n++; return stored; } });
  return { p, reads };
}

async function outcome(p: LimitRanger, a: AdmissionAttributes): Promise<string> {
  try {
    await p.admit(a);
    await p.validate(a);
    return "ok";
  } catch (err) {
    return `${(err as { code: number }).code} ${(err as Error).message}`;
  }
}

describe("LimitRanger", () => {
  it("defaults requests and limits from the Container item and says so in the annotation", async () => {
    const { p } = plugin([limitRange({ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } })]);
    const pod = newPod({ app: {} });
    assert.equal(await outcome(p, attrs(pod)), "ok");
    assert.deepEqual(pod.spec!.containers[0]!.resources, { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } });
    assert.equal(pod.metadata!.annotations!["kubernetes.io/limit-ranger"], "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app");
  });

  it("leaves what a container states, defaults init containers too, and notes only what it set", async () => {
    const { p } = plugin([limitRange({ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } })]);
    const pod = newPod({ app: { requests: { cpu: "200m" }, limits: { cpu: "300m", memory: "200Mi" } } }, { setup: {} });
    assert.equal(await outcome(p, attrs(pod)), "ok");
    assert.deepEqual(pod.spec!.containers[0]!.resources, { limits: { cpu: "300m", memory: "200Mi" }, requests: { cpu: "200m", memory: "128Mi" } });
    assert.deepEqual(pod.spec!.initContainers![0]!.resources!.limits, { cpu: "500m", memory: "256Mi" });
    assert.equal(pod.metadata!.annotations!["kubernetes.io/limit-ranger"],
      "LimitRanger plugin set: memory request for container app; cpu, memory request for init container setup; cpu, memory limit for init container setup");
  });

  it("a max alone becomes the default limit and request (upstream's LimitRange defaults)", async () => {
    const { p } = plugin([limitRange({ type: "Container", max: { cpu: "500m" } })]);
    const pod = newPod({ app: {} });
    assert.equal(await outcome(p, attrs(pod)), "ok");
    assert.deepEqual(pod.spec!.containers[0]!.resources, { limits: { cpu: "500m" }, requests: { cpu: "500m" } });
  });

  const containerCases: [string, LimitRangeItem, Parameters<typeof newPod>[0], string][] = [
    ["over the max limit", { type: "Container", max: { cpu: "500m" } }, { app: { limits: { cpu: "1" } } },
      `403 pods "x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`],
    ["a request over the max", { type: "Container", max: { memory: "1Gi" } }, { app: { requests: { memory: "2Gi" }, limits: { memory: "1024Mi" } } },
      `403 pods "x" is forbidden: maximum memory usage per Container is 1Gi, but request is 2Gi`],
    ["under the min request", { type: "Container", min: { cpu: "100m" } }, { app: { requests: { cpu: "50m" } } },
      `403 pods "x" is forbidden: minimum cpu usage per Container is 100m, but request is 50m`],
    ["a limit under the min", { type: "Container", min: { cpu: "100m" }, defaultRequest: { cpu: "200m" } }, { app: { limits: { cpu: "50m" }, requests: { cpu: "200m" } } },
      `403 pods "x" is forbidden: minimum cpu usage per Container is 100m, but limit is 50m`],
    ["a ratio over the bound", { type: "Container", maxLimitRequestRatio: { cpu: "2" } }, { app: { requests: { cpu: "100m" }, limits: { cpu: "1" } } },
      `403 pods "x" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 10.000000`],
    ["a ratio without a limit", { type: "Container", maxLimitRequestRatio: { memory: "2" } }, { app: { requests: { memory: "1Gi" } } },
      `403 pods "x" is forbidden: memory max limit to request ratio per Container is 2, but no limit is specified or limit is 0`],
    ["two faults, in brackets", { type: "Container", max: { cpu: "500m", memory: "1Gi" } }, { app: { limits: { cpu: "1", memory: "2Gi" } } },
      `403 pods "x" is forbidden: [maximum cpu usage per Container is 500m, but limit is 1, maximum memory usage per Container is 1Gi, but limit is 2Gi]`],
    ["within every bound", { type: "Container", min: { cpu: "100m" }, max: { cpu: "1" }, maxLimitRequestRatio: { cpu: "4" } }, { app: { requests: { cpu: "250m" }, limits: { cpu: "1000m" } } }, "ok"],
    ["the same amount written otherwise", { type: "Container", max: { memory: "1Gi" } }, { app: { limits: { memory: "1024Mi" } } }, "ok"],
  ];
  for (const [name, item, containers, want] of containerCases) {
    it(`Container: ${name}`, async () => {
      const { p } = plugin([limitRange(item)]);
      assert.equal(await outcome(p, attrs(newPod(containers))), want);
    });
  }

  it("Pod: the containers' sum against the max, sidecars counted as upstream", async () => {
    const { p } = plugin([limitRange({ type: "Pod", max: { cpu: "1" } })]);
    assert.equal(await outcome(p, attrs(newPod({ a: { limits: { cpu: "600m" } }, b: { limits: { cpu: "600m" } } }))),
      `403 pods "x" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m`);
    const init = newPod({ a: { limits: { cpu: "500m" } } }, { big: { limits: { cpu: "900m" } } });
    assert.equal(await outcome(p, attrs(init)), "ok", "an init container runs before the containers: the larger counts");
    const sidecar = newPod({ a: { limits: { cpu: "500m" } } }, { side: { limits: { cpu: "600m" } } });
    sidecar.spec!.initContainers![0]!.restartPolicy = "Always";
    assert.equal(await outcome(p, attrs(sidecar)), `403 pods "x" is forbidden: maximum cpu usage per Pod is 1, but limit is 1100m`);
  });

  it("PersistentVolumeClaim: storage requests between min and max", async () => {
    const { p } = plugin([limitRange({ type: "PersistentVolumeClaim", min: { storage: "1Gi" }, max: { storage: "2Gi" } })]);
    const claim = (storage?: string) => ({ metadata: { name: "c", namespace: "ns" }, spec: { resources: storage ? { requests: { storage } } : {} } });
    const pvc = (o: AdmissionObject, operation: AdmissionAttributes["operation"] = "CREATE") => attrs(o, { info: info("persistentvolumeclaims"), operation });
    assert.equal(await outcome(p, pvc(claim("10Gi"))), `403 persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 10Gi`);
    assert.equal(await outcome(p, pvc(claim("500Mi"))), `403 persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi`);
    assert.equal(await outcome(p, pvc(claim("10Gi"), "UPDATE")), `403 persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 10Gi`, "a resize is checked too");
    assert.equal(await outcome(p, pvc(claim("1536Mi"))), "ok");
  });

  it("leaves pod updates, subresources and objects being deleted alone", async () => {
    const { p } = plugin([limitRange({ type: "Container", max: { cpu: "500m" } })]);
    const big = () => newPod({ app: { limits: { cpu: "1" } } });
    assert.equal(await outcome(p, attrs(big(), { operation: "UPDATE", oldObject: big() })), "ok");
    assert.equal(await outcome(p, attrs(big(), { subresource: "status" })), "ok");
    const claimAttrs = attrs({ metadata: { name: "c" }, spec: {} }, { info: info("persistentvolumeclaims"), operation: "UPDATE", oldObject: { metadata: { name: "c", deletionTimestamp: "2026-01-01T00:00:00Z" } } });
    const { p: pvcPlugin } = plugin([limitRange({ type: "PersistentVolumeClaim", min: { storage: "1Gi" } })]);
    assert.equal(await outcome(pvcPlugin, claimAttrs), "ok");
  });

  it("reads storage only when the cache has none for the namespace, and then not again for a while", async () => {
    const lr = limitRange({ type: "Container", max: { cpu: "500m" } });
    const cold = plugin([], [lr]);
    assert.match(await outcome(cold.p, attrs(newPod({ app: { limits: { cpu: "1" } } }))), /maximum cpu usage per Container is 500m/);
    assert.equal(cold.reads.n, 1, "both phases of a request share one read");
    await outcome(cold.p, attrs(newPod({ app: {} })));
    await Promise.all([outcome(cold.p, attrs(newPod({ app: {} }))), outcome(cold.p, attrs(newPod({ app: {} })))]);
    assert.equal(cold.reads.n, 1, "the answer is kept for the next requests");
    const warm = plugin([lr]);
    await outcome(warm.p, attrs(newPod({ app: {} })));
    assert.equal(warm.reads.n, 0, "a namespace the cache knows is never read from storage");
  });
});
