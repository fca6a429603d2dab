import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache, type Cacheable } from "./token-cache.js";

const T0 = Date.parse("2026-12-01T10:00:00Z");

/** A cache on a clock the test moves, and a check that counts its calls. */
function setup(options: { maxEntries?: number } = {}) {
  const clock = { now: T0 };
  const cache = new TokenCache<{ name: string }>({ ...options, now: () => clock.now });
  const calls: string[] = [];
  const ok = (name: string, extra: Partial<Cacheable<{ name: string }>> = {}) => async () => { calls.push(name); return { value: { name }, ...extra }; };
  return { clock, cache, calls, ok };
}

describe("token cache", () => {
  it("keeps a success for 10 s, then checks again", async () => {
    const { clock, cache, calls, ok } = setup();
    assert.deepEqual(await cache.lookup("tok", ["api"], ok("a")), { name: "a" });
    clock.now += 9_999;
    assert.deepEqual(await cache.lookup("tok", ["api"], ok("a")), { name: "a" });
    assert.equal(calls.length, 1);
    clock.now += 1;
    await cache.lookup("tok", ["api"], ok("a"));
    assert.equal(calls.length, 2);
  });

  it("keeps no failure and no 'not mine'", async () => {
    const { cache, calls } = setup();
    const refuse = async (): Promise<undefined> => { calls.push("refused"); throw new Error("Unauthorized"); };
    await assert.rejects(cache.lookup("bad", ["api"], refuse), /Unauthorized/);
    await assert.rejects(cache.lookup("bad", ["api"], refuse), /Unauthorized/);
    const notMine = async () => { calls.push("not mine"); return undefined; };
    assert.equal(await cache.lookup("other", ["api"], notMine), undefined);
    assert.equal(await cache.lookup("other", ["api"], notMine), undefined);
    assert.deepEqual(calls, ["refused", "refused", "not mine", "not mine"]);
    assert.equal(cache.size, 0);
  });

  it("keys by the audiences too", async () => {
    const { cache, calls, ok } = setup();
    await cache.lookup("tok", ["api"], ok("api"));
    await cache.lookup("tok", ["vault"], ok("vault"));
    await cache.lookup("tok", ["api", "vault"], ok("both"));
    // No two lists of audiences run together into the same key.
    await cache.lookup("tok", ["ap", "ivault"], ok("split"));
    assert.deepEqual(calls, ["api", "vault", "both", "split"]);
    assert.deepEqual(await cache.lookup("tok", ["vault"], ok("vault")), { name: "vault" });
    assert.equal(calls.length, 4);
  });

  it("ends a result at its own expiry when that comes before the TTL", async () => {
    const { clock, cache, calls, ok } = setup();
    await cache.lookup("tok", [], ok("a", { expiresAt: T0 + 3_000 }));
    clock.now += 2_999;
    await cache.lookup("tok", [], ok("a"));
    assert.equal(calls.length, 1);
    clock.now += 1;
    await cache.lookup("tok", [], ok("a"));
    assert.equal(calls.length, 2);
    // Already over: not kept at all.
    await cache.lookup("late", [], ok("late", { expiresAt: T0 }));
    await cache.lookup("late", [], ok("late"));
    assert.deepEqual(calls.slice(2), ["late", "late"]);
  });

  it("drops the results that depend on an invalidated object, and only those", async () => {
    const { cache, calls, ok } = setup();
    await cache.lookup("t1", [], ok("t1", { dependsOn: ["pods/default/web", "serviceaccounts/default/default"] }));
    await cache.lookup("t2", [], ok("t2", { dependsOn: ["pods/default/db", "serviceaccounts/default/default"] }));
    cache.invalidate("pods/default/web");
    await cache.lookup("t1", [], ok("t1"));
    await cache.lookup("t2", [], ok("t2"));
    assert.deepEqual(calls, ["t1", "t2", "t1"]);
    cache.invalidate("serviceaccounts/default/default");
    await cache.lookup("t2", [], ok("t2"));
    assert.deepEqual(calls, ["t1", "t2", "t1", "t2"]);
  });

  it("does not keep what a check read before its object changed", async () => {
    const { cache, calls, ok } = setup();
    let release!: () => void;
    const slow = async () => { calls.push("slow"); await new Promise<void>((r) => { release = r; }); return { value: { name: "stale" }, dependsOn: ["pods/default/web"] }; };
    const running = cache.lookup("tok", [], slow);
    await new Promise((r) => setImmediate(r));
    cache.invalidate("pods/default/web");
    release();
    assert.deepEqual(await running, { name: "stale" }, "the caller that asked before the change gets its answer");
    await cache.lookup("tok", [], ok("fresh"));
    assert.deepEqual(calls, ["slow", "fresh"]);
  });

  it("shares one check between concurrent lookups of a token", async () => {
    const { cache, calls, ok } = setup();
    const all = await Promise.all([1, 2, 3].map(() => cache.lookup("tok", ["api"], ok("a"))));
    assert.deepEqual(all, [{ name: "a" }, { name: "a" }, { name: "a" }]);
    assert.equal(calls.length, 1);
    all[0]!.name = "changed by a caller";
    assert.deepEqual(await cache.lookup("tok", ["api"], ok("a")), { name: "a" }, "callers get copies");
  });

  it("holds at most maxEntries, dropping the least recently used", async () => {
    const { cache, calls, ok } = setup({ maxEntries: 2 });
    await cache.lookup("t1", [], ok("t1"));
    await cache.lookup("t2", [], ok("t2"));
    await cache.lookup("t1", [], ok("t1"));
    await cache.lookup("t3", [], ok("t3"));
    assert.equal(cache.size, 2);
    await cache.lookup("t1", [], ok("t1"));
    await cache.lookup("t2", [], ok("t2"));
    assert.deepEqual(calls, ["t1", "t2", "t3", "t2"]);
  });

  it("never keeps the token itself", async () => {
    const { cache, ok } = setup();
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpkZWZhdWx0In0.c2lnbmF0dXJl";
    await cache.lookup(token, ["api"], ok("a"));
    const keys = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    assert.equal(keys.length, 1);
    for (const part of token.split(".")) assert.ok(!keys[0]!.includes(part), "no part of the token in the key");
    // The key is an HMAC under a key of this cache's own: another cache keys the same token differently.
    const other = setup().cache;
    await other.lookup(token, ["api"], ok("a"));
    assert.notEqual([...(other as unknown as { entries: Map<string, unknown> }).entries.keys()][0], keys[0]);
  });
});
