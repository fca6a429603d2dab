import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RollingUpdateDeployment } from "kubernetes-types/apps/v1.js";
import { newReplicaSetAnnotations, proportionalSizes, revisionOf, scaledValue, surgeAndUnavailable, templateHash, templateWithoutHash } from "./util.js";

describe("deployment helpers", () => {
  it("rounds surge up and unavailability down, as upstream", () => {
    assert.equal(scaledValue("25%", 10, true), 3);
    assert.equal(scaledValue("25%", 10, false), 2);
    assert.equal(scaledValue(4, 10, false), 4);
    const d = (ru: RollingUpdateDeployment, replicas = 3) => ({ metadata: {}, spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: ru } } });
    assert.deepEqual(surgeAndUnavailable(d({ maxSurge: "25%", maxUnavailable: "25%" })), { maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(surgeAndUnavailable(d({ maxSurge: 0, maxUnavailable: 0 })), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(surgeAndUnavailable({ spec: { replicas: 3, strategy: { type: "Recreate" } } }), { maxSurge: 0, maxUnavailable: 0 });
  });
  it("hashes templates stably, whatever the key order, and ignores the hash label when comparing", () => {
    const a = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "i" }] } };
    const b = { spec: { containers: [{ image: "i", name: "c" }] }, metadata: { labels: { app: "web" } } };
    assert.equal(templateHash(a), templateHash(b));
    assert.notEqual(templateHash(a), templateHash(a, 1), "a collision count gives another name");
    assert.match(templateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/, "the decimal digits of a 32-bit hash, each as a name character");
    assert.deepEqual(templateWithoutHash({ metadata: { labels: { app: "web", "pod-template-hash": "x" } } }), { metadata: { labels: { app: "web" } } });
  });
  it("shares a resize among the active ReplicaSets in proportion, as upstream's documented example", () => {
    // 10 replicas, maxSurge 3, stuck mid-rollout with 8 old and 5 new; scaled to 15.
    const d = { metadata: {}, spec: { replicas: 15, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }, status: { replicas: 13 } };
    const rs = (name: string, replicas: number, created: string) => ({ metadata: { name, creationTimestamp: created, annotations: { "deployment.kubernetes.io/max-replicas": "13" } }, spec: { replicas } });
    const sets = [rs("old", 8, "2026-01-01T00:00:00Z"), rs("new", 5, "2026-01-02T00:00:00Z")];
    assert.deepEqual(Object.fromEntries(proportionalSizes(d, sets)), { old: 11, new: 7 });
    // And back down to 5: the same proportions, never below zero.
    const down = { ...d, spec: { ...d.spec, replicas: 5 } };
    const after = [rs("old", 11, "2026-01-01T00:00:00Z"), rs("new", 7, "2026-01-02T00:00:00Z")].map((s) => ({ ...s, metadata: { ...s.metadata, annotations: { "deployment.kubernetes.io/max-replicas": "18" } } }));
    const sizes = proportionalSizes(down, after);
    assert.equal(sizes.get("old")! + sizes.get("new")!, 8, "5 replicas plus the surge of 3");
    assert.deepEqual(Object.fromEntries(sizes), { old: 5, new: 3 });
  });
  it("copies the Deployment's own annotations to its new ReplicaSet, not the controller's bookkeeping, and keeps revision history on a rollback", () => {
    const d = { metadata: { annotations: { "kubernetes.io/change-cause": "v2", "deployment.kubernetes.io/revision": "2", "kubectl.kubernetes.io/last-applied-configuration": "{}", team: "a" } } };
    const rs = (annotations: Record<string, string>) => ({ metadata: { annotations } });
    assert.deepEqual(newReplicaSetAnnotations(d, rs({ "deployment.kubernetes.io/revision": "2" }), 2n), { "deployment.kubernetes.io/revision": "2", "kubernetes.io/change-cause": "v2", team: "a" });
    assert.equal(newReplicaSetAnnotations(d, rs({ "deployment.kubernetes.io/revision": "2", "kubernetes.io/change-cause": "v2", team: "a" }), 2n), undefined, "nothing to change");
    assert.deepEqual(newReplicaSetAnnotations(d, rs({ "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/revision-history": "0", "kubernetes.io/change-cause": "v2", team: "a" }), 3n),
      { "deployment.kubernetes.io/revision": "3", "deployment.kubernetes.io/revision-history": "0,1", "kubernetes.io/change-cause": "v2", team: "a" });
  });
  it("counts revisions as int64, past the 2^53 a number keeps exact", () => {
    const adopted = { metadata: { annotations: { "deployment.kubernetes.io/revision": "3546343826724305832" } } };
    assert.equal(revisionOf(adopted), 3546343826724305832n);
    assert.equal(revisionOf({ metadata: { annotations: { "deployment.kubernetes.io/revision": "x" } } }), 0n, "one that does not parse counts as 0");
    assert.equal(newReplicaSetAnnotations({ metadata: {} }, { metadata: {} }, revisionOf(adopted) + 1n)?.["deployment.kubernetes.io/revision"], "3546343826724305833");
  });
});
