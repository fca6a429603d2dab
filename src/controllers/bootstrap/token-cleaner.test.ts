import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bootstrapTokenSecret } from "../../pki/bootstrap-token.js";
import type { Secret } from "kubernetes-types/core/v1.js";
import type { ControllerContext, Kube } from "../controller.js";
import { TokenCleaner } from "./token-cleaner.js";

const now = Date.parse("2026-01-01T00:00:00Z");

/** A cleaner over a fake informer and client; returns what it deleted and what sync answered. */
function setup(secrets: Kube<Secret>[]) {
  const deleted: [string | undefined, string, unknown][] = [];
  const items = new Map(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const ctx = {
    client: { delete: async (_r: unknown, ns: string | undefined, name: string, opts: unknown) => { deleted.push([ns, name, opts]); } },
    informers: { informer: () => ({ get: (k: string) => items.get(k), addEventHandler: () => {} }) },
    log: () => {},
  } as unknown as ControllerContext;
  const cleaner = new TokenCleaner(() => now);
  cleaner.init(ctx);
  const sync = (key: string) => (cleaner as unknown as { sync(k: string): Promise<number | void> }).sync(key);
  return { deleted, sync };
}

const token = (id: string, ttlMs?: number): Kube<Secret> => {
  const s = bootstrapTokenSecret({ id, secret: "0123456789abcdef" }, { ttlMs, now: new Date(now - 3600_000) });
  return { ...s, metadata: { ...s.metadata, uid: `uid-${id}` } };
};

describe("tokencleaner", () => {
  it("deletes an expired token with a uid precondition", async () => {
    const { deleted, sync } = setup([token("aaaaaa", 60_000)]);
    assert.equal(await sync("kube-system/bootstrap-token-aaaaaa"), undefined);
    assert.deepEqual(deleted, [["kube-system", "bootstrap-token-aaaaaa", { preconditions: { uid: "uid-aaaaaa" } }]]);
  });

  it("looks again when a live token expires, and leaves one without expiration", async () => {
    const { deleted, sync } = setup([token("bbbbbb", 2 * 3600_000), token("cccccc")]);
    assert.equal(await sync("kube-system/bootstrap-token-bbbbbb"), 3600_000);
    assert.equal(await sync("kube-system/bootstrap-token-cccccc"), undefined);
    assert.deepEqual(deleted, []);
  });

  it("looks again daily at a token of months", async () => {
    const { sync } = setup([token("dddddd", 90 * 86400_000)]);
    assert.equal(await sync("kube-system/bootstrap-token-dddddd"), 86400_000);
  });
});
