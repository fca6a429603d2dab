import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Resources, type Client } from "../client/index.js";
import { claimObjects, selectorOf } from "./controller-ref-manager.js";
import type { Kube } from "./controller.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";

const rs = (over: Partial<ObjectMeta> = {}): Kube<ReplicaSet> => ({ metadata: { name: "web", namespace: "default", uid: "rs-1", ...over }, spec: { selector: { matchLabels: { app: "web" } } } });
const pod = (name: string, labels: Record<string, string>, owner?: string, extra: Partial<ObjectMeta> = {}): Kube<Pod> => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, labels, ...(owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: owner === "web" ? "rs-1" : "other", controller: true }] } : {}), ...extra },
});

/** A client that answers the controller's fresh read with `fresh` and records patches. */
function fakeClient(fresh: Kube<ReplicaSet>): { client: Client; patches: { name: string; body: unknown }[] } {
  const patches: { name: string; body: unknown }[] = [];
  const client = {
    get: async () => fresh,
    patch: async (_r: unknown, _ns: string, name: string, body: { metadata: { ownerReferences: unknown[] } }) => {
      patches.push({ name, body });
      return { metadata: { name, ownerReferences: body.metadata.ownerReferences } };
    },
  } as unknown as Client;
  return { client, patches };
}

describe("claimObjects", () => {
  const kind = { apiVersion: "apps/v1", kind: "ReplicaSet", resource: Resources.replicasets };
  it("keeps its own, adopts matching orphans, releases its non-matching pods, leaves others' alone", async () => {
    const { client, patches } = fakeClient(rs());
    const controller = rs();
    const claimed = await claimObjects([
      pod("mine", { app: "web" }, "web"),
      pod("orphan", { app: "web" }),
      pod("stray", { app: "db" }, "web"),
      pod("theirs", { app: "web" }, "other"),
      pod("unrelated", { app: "db" }),
      pod("dying", { app: "web" }, undefined, { deletionTimestamp: "2026-01-01T00:00:00Z" }),
    ], { client, controller, kind, dependents: Resources.pods, selector: selectorOf(controller) });
    assert.deepEqual(claimed.map((p) => p.metadata.name), ["mine", "orphan"]);
    assert.deepEqual(patches, [
      { name: "orphan", body: { metadata: { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-1", controller: true, blockOwnerDeletion: true }], uid: "uid-orphan" } } },
      { name: "stray", body: { metadata: { ownerReferences: [{ $patch: "delete", uid: "rs-1" }], uid: "uid-stray" } } },
    ]);
  });

  const refusals: [string, Kube<ReplicaSet>][] = [
    ["recreated under the same name", rs({ uid: "rs-2" })],
    ["being deleted", rs({ deletionTimestamp: "2026-01-01T00:00:00Z" })],
  ];
  for (const [what, fresh] of refusals) {
    it(`adopts nothing when the controller, read again, was ${what}`, async () => {
      const { client, patches } = fakeClient(fresh);
      const controller = rs();
      await assert.rejects(claimObjects([pod("orphan", { app: "web" })], { client, controller, kind, dependents: Resources.pods, selector: selectorOf(controller) }));
      assert.deepEqual(patches, []);
    });
  }

  it("neither adopts nor releases while the controller is being deleted, and an empty selector matches nothing", async () => {
    const { client, patches } = fakeClient(rs());
    const deleting = rs({ deletionTimestamp: "2026-01-01T00:00:00Z" });
    const claimed = await claimObjects([pod("orphan", { app: "web" }), pod("stray", { app: "db" }, "web")], { client, controller: deleting, kind, dependents: Resources.pods, selector: selectorOf(deleting) });
    assert.deepEqual(claimed, []);
    const empty = { ...rs(), spec: {} };
    assert.deepEqual(await claimObjects([pod("orphan", { app: "web" })], { client, controller: empty, kind, dependents: Resources.pods, selector: selectorOf(empty) }), []);
    assert.deepEqual(patches, []);
  });

  it("reads a ReplicationController's map selector", () => {
    assert.deepEqual(selectorOf({ metadata: {}, spec: { selector: { name: "x" } } }), [{ key: "name", op: "=", values: ["x"] }]);
  });
});
