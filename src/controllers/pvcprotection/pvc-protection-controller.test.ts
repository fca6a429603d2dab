import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { KubeObject } from "../../client/index.js";
import type { ControllerContext, Kube } from "../controller.js";
import { PvcProtectionController, podUsesClaim } from "./pvc-protection-controller.js";
import { pvProtectionChange } from "../pvprotection/pv-protection-controller.js";

const FINALIZER = "kubernetes.io/pvc-protection";
const claim = (meta: Partial<ObjectMeta> = {}): Kube<PersistentVolumeClaim> =>
  ({ metadata: { name: "data", namespace: "ns", uid: "claim-uid", resourceVersion: "5", finalizers: [FINALIZER], ...meta }, spec: {} });
const pod = (name: string, spec: Partial<NonNullable<Pod["spec"]>>, meta: Partial<ObjectMeta> = {}): Kube<Pod> =>
  ({ metadata: { name, namespace: "ns", uid: `${name}-uid`, ...meta }, spec: { containers: [], ...spec } });
const usesData = { nodeName: "node-a", volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] };

/** The controller over fake informers and a fake client: what it updated, and what the live list answered. */
function setup(claims: Kube<PersistentVolumeClaim>[], cachedPods: Kube<Pod>[], livePods: Kube<Pod>[] = cachedPods) {
  const updates: Kube<PersistentVolumeClaim>[] = [];
  const lists = { n: 0 };
  const byKey = (items: KubeObject[]) => new Map(items.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  const informers: Record<string, Map<string, KubeObject>> = { persistentvolumeclaims: byKey(claims), pods: byKey(cachedPods) };
  const ctx = {
    client: {
      update: async (_r: unknown, _ns: string, o: Kube<PersistentVolumeClaim>) => { updates.push(o); return o; },
      list: async () => { lists.n++; return { items: livePods }; },
    },
    informers: {
      informer: (r: { resource: string }) => ({
        get: (k: string) => informers[r.resource]!.get(k),
        list: (ns?: string) => [...informers[r.resource]!.values()].filter((o) => !ns || o.metadata.namespace === ns),
        addEventHandler: () => {},
      }),
    },
    log: () => {},
  } as unknown as ControllerContext;
  const c = new PvcProtectionController();
  c.init(ctx);
  const sync = (key: string) => (c as unknown as { sync(k: string): Promise<void> }).sync(key);
  return { updates, lists, sync };
}

const deleting = { deletionTimestamp: "2026-01-01T00:00:00Z" };

describe("pvc-protection-controller", () => {
  it("keeps the finalizer while a scheduled pod uses the claim", async () => {
    const { updates, lists, sync } = setup([claim(deleting)], [pod("web", usesData)]);
    await sync("ns/data");
    assert.deepEqual(updates, []);
    assert.equal(lists.n, 0, "a user found in the cache needs no live list");
  });

  it("removes it once no pod uses the claim, after a live list agrees", async () => {
    const { updates, lists, sync } = setup([claim({ ...deleting, finalizers: ["example.com/other", FINALIZER] })], [pod("other", { nodeName: "node-a" })]);
    await sync("ns/data");
    assert.equal(lists.n, 1);
    assert.deepEqual(updates.map((u) => u.metadata.finalizers), [["example.com/other"]]);
  });

  it("keeps it when only the live list knows of the pod", async () => {
    const { updates, sync } = setup([claim(deleting)], [], [pod("new", usesData)]);
    await sync("ns/data");
    assert.deepEqual(updates, []);
  });

  it("adds the finalizer to a claim that lacks it, and leaves a claim that is fine", async () => {
    const missing = setup([claim({ finalizers: undefined })], []);
    await missing.sync("ns/data");
    assert.deepEqual(missing.updates.map((u) => u.metadata.finalizers), [[FINALIZER]]);
    const fine = setup([claim()], [pod("web", usesData)]);
    await fine.sync("ns/data");
    assert.deepEqual(fine.updates, []);
  });

  it("counts the pods that hold a claim as upstream does", () => {
    const c = claim();
    const cases: [string, Kube<Pod>, boolean][] = [
      ["a scheduled pod naming it", pod("a", usesData), true],
      ["a finished pod still naming it", { ...pod("a", usesData), status: { phase: "Succeeded" } }, true],
      ["a pod not scheduled yet", pod("a", { volumes: usesData.volumes }), false],
      ["a pod in another namespace", { ...pod("a", usesData), metadata: { name: "a", namespace: "other" } }, false],
      ["a pod naming another claim", pod("a", { nodeName: "n", volumes: [{ name: "d", persistentVolumeClaim: { claimName: "logs" } }] }), false],
    ];
    for (const [name, p, want] of cases) assert.equal(podUsesClaim(p, c), want, name);
    const eph = claim({ name: "web-scratch", ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "web", uid: "web-uid", controller: true }] });
    const ephemeral = { nodeName: "n", volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } }] };
    assert.equal(podUsesClaim(pod("web", ephemeral), eph), true, "the pod's own ephemeral claim");
    assert.equal(podUsesClaim(pod("web", ephemeral, { uid: "other-uid" }), eph), false, "a pod of that name that does not own it");
    assert.equal(podUsesClaim(pod("web", ephemeral, { deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 0 }), eph), false, "a pod shut down lets its ephemeral claim go");
  });
});

describe("pv-protection-controller", () => {
  const pv = (phase: string, meta: Partial<ObjectMeta> = {}): Kube<PersistentVolume> => ({ metadata: { name: "pv", finalizers: ["kubernetes.io/pv-protection"], ...meta }, status: { phase } });
  it("removes the finalizer of a volume being deleted once it is not Bound", () => {
    assert.equal(pvProtectionChange(pv("Bound", deleting)), undefined);
    assert.equal(pvProtectionChange(pv("Released", deleting)), "remove");
    assert.equal(pvProtectionChange(pv("Available", deleting)), "remove");
  });
  it("adds it to a volume that lacks it, not to one being deleted", () => {
    assert.equal(pvProtectionChange(pv("Available", { finalizers: [] })), "add");
    assert.equal(pvProtectionChange(pv("Available", { ...deleting, finalizers: [] })), undefined);
    assert.equal(pvProtectionChange(pv("Bound")), undefined);
  });
});
