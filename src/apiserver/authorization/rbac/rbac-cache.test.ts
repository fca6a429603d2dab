import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ResourceCatalog } from "../../catalog.js";
import { ObjectStore, type ObjectEvent } from "../../registry/object-store.js";
import { SqliteStore, StoreError } from "../../../storage/index.js";
import { RbacCache } from "./rbac-cache.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { resourceAttrs, user } from "./rbac-fixtures.js";

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("RBAC cache", () => {
  it("two caches on one store follow every write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-rbac-cache-"));
    const store = new SqliteStore(join(dir, "state.db"));
    const catalog = new ResourceCatalog();
    const objects = new ObjectStore(store);
    const info = (r: string) => catalog.lookup("rbac.authorization.k8s.io", "v1", r)!;
    try {
      await objects.create(info("clusterroles"), undefined, { metadata: { name: "reader" }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] });
      const a = new RbacCache({ objects, catalog });
      const b = new RbacCache({ objects: new ObjectStore(store), catalog });
      await Promise.all([a.start(), b.start()]);
      assert.ok(a.policy.getClusterRole("reader"));
      const authz = [new RbacAuthorizer({ policy: a.policy }), new RbacAuthorizer({ policy: b.policy })];
      const attrs = resourceAttrs(user("jane"), "get", "pods", { namespace: "dev", name: "p" });
      await objects.create(info("rolebindings"), "dev", { metadata: { name: "jane" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" }, subjects: [{ kind: "User", name: "jane" }] });
      await eventually(() => authz.every((z) => z.authorize(attrs).decision === "Allow"), "the binding on both servers");
      await objects.delete(info("rolebindings"), "dev", "jane");
      await eventually(() => authz.every((z) => z.authorize(attrs).decision === "NoOpinion"), "the deletion on both servers");
      a.stop();
      b.stop();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("relists when its watch fails (Compacted)", async () => {
    const catalog = new ResourceCatalog();
    let items: object[] = [];
    const watchers: { onEvent: (e: ObjectEvent) => void; onError: (e: Error) => void; closed: boolean }[] = [];
    const fake = {
      async list(inf: { resource: string }) { return { items: inf.resource === "clusterroles" ? items : [], resourceVersion: "10" }; },
      parseSelection() { return { labels: [], fields: [] }; },
      watch(inf: { resource: string }, _ns: unknown, _sel: unknown, _from: number, onEvent: (e: ObjectEvent) => void, onError: (e: Error) => void) {
        const w = { onEvent, onError, closed: false, resource: inf.resource };
        if (inf.resource === "clusterroles") watchers.push(w);
        return { close: () => { w.closed = true; } };
      },
    } as unknown as ObjectStore;
    const cache = new RbacCache({ objects: fake, catalog, retryDelayMs: 1 });
    await cache.start();
    assert.equal(watchers.length, 1);
    watchers[0]!.onEvent({ type: "ADDED", object: { metadata: { name: "a" }, rules: [] } });
    assert.ok(cache.policy.getClusterRole("a"));
    items = [{ metadata: { name: "b" }, rules: [] }];
    watchers[0]!.onError(new StoreError("Compacted", "required revision 10 has been compacted", 20));
    await eventually(() => watchers.length === 2, "a new watch");
    assert.equal(cache.policy.getClusterRole("a"), undefined, "the relist replaces what the old watch built");
    assert.ok(cache.policy.getClusterRole("b"));
    watchers[0]!.onEvent({ type: "ADDED", object: { metadata: { name: "stale" }, rules: [] } });
    assert.equal(cache.policy.getClusterRole("stale"), undefined, "events of a replaced watch are dropped");
    cache.stop();
    assert.ok(watchers[1]!.closed);
  });
});
