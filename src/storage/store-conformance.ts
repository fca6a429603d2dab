import assert from "node:assert/strict";
import { describe, it, before, after } from "node:test";
import { MAX_REQUEST_BYTES, type Store, type WatchEvent, isStoreError } from "./store.js";

/**
 * The one behaviour suite every Store backend must pass. Each test works under
 * its own key prefix, so a backend may share one store across the tests.
 */
export function runStoreConformance(name: string, open: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let n = 0;
    const prefix = () => `/registry/conformance-${Date.now()}-${n++}/`;
    before(async () => { store = await open(); });
    after(async () => { await store.close(); });

    it("creates, gets and refuses a second create", async () => {
      const p = prefix();
      const kv = await store.create(p + "a", "one");
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await store.get(p + "a"), kv);
      await assert.rejects(store.create(p + "a", "two"), (e) => isStoreError(e, "KeyExists"));
      assert.equal((await store.get(p + "a"))?.value, "one");
      assert.equal(await store.get(p + "missing"), undefined);
    });

    it("refuses a write over etcd's request limit (1.5 MiB) on every backend", async () => {
      const p = prefix();
      const tooLarge = (e: unknown) => isStoreError(e, "RequestTooLarge") && /request is too large/.test((e as Error).message);
      await assert.rejects(store.create(p + "big", "x".repeat(MAX_REQUEST_BYTES)), tooLarge);
      assert.equal(await store.get(p + "big"), undefined);
      const a = await store.create(p + "a", "x".repeat(MAX_REQUEST_BYTES - 1024));
      await assert.rejects(store.update(p + "a", "y".repeat(MAX_REQUEST_BYTES), a.modRevision), tooLarge);
      assert.equal((await store.get(p + "a"))?.modRevision, a.modRevision);
    });

    it("updates only with the expected revision", async () => {
      const p = prefix();
      const a = await store.create(p + "a", "1");
      const b = await store.update(p + "a", "2", a.modRevision);
      assert.ok(b.modRevision > a.modRevision);
      assert.equal(b.createRevision, a.createRevision);
      await assert.rejects(store.update(p + "a", "3", a.modRevision), (e) => isStoreError(e, "Conflict"));
      await assert.rejects(store.update(p + "nope", "3", 1), (e) => isStoreError(e, "NotFound"));
      assert.equal((await store.get(p + "a"))?.value, "2");
    });

    it("deletes, guarded or not, and returns the last value", async () => {
      const p = prefix();
      const a = await store.create(p + "a", "1");
      await assert.rejects(store.delete(p + "a", a.modRevision + 1000), (e) => isStoreError(e, "Conflict"));
      const gone = await store.delete(p + "a", a.modRevision);
      assert.equal(gone.value, "1");
      assert.ok(gone.modRevision > a.modRevision);
      assert.equal(await store.get(p + "a"), undefined);
      await assert.rejects(store.delete(p + "a"), (e) => isStoreError(e, "NotFound"));
      const again = await store.create(p + "a", "new");
      assert.ok(again.createRevision > gone.modRevision);
    });

    it("lists a prefix in key order with limit and continuation", async () => {
      const p = prefix();
      for (const k of ["c", "a", "b", "d"]) await store.create(p + k, k);
      await store.create(p.slice(0, -1) + "x/other", "outside");
      const all = await store.list(p);
      assert.deepEqual(all.items.map((i) => i.value), ["a", "b", "c", "d"]);
      assert.equal(all.more, false);
      const page1 = await store.list(p, { limit: 2 });
      assert.deepEqual(page1.items.map((i) => i.value), ["a", "b"]);
      assert.equal(page1.more, true);
      await store.update(p + "c", "c2", (await store.get(p + "c"))!.modRevision);
      const page2 = await store.list(p, { limit: 2, startKey: page1.items[1]!.key + "\0", revision: page1.revision });
      assert.deepEqual(page2.items.map((i) => i.value), ["c", "d"], "the second page reads at the first page's revision");
      assert.equal(page2.more, false);
      assert.equal(await store.count(p), 4);
      assert.equal(await store.count(p, p + "b\0"), 2, "count from a start key");
    });

    it("lists as of an older revision", async () => {
      const p = prefix();
      const a = await store.create(p + "a", "1");
      await store.update(p + "a", "2", a.modRevision);
      await store.create(p + "b", "b");
      await store.delete(p + "a");
      const then = await store.list(p, { revision: a.modRevision });
      assert.deepEqual(then.items.map((i) => i.value), ["1"]);
      const now = await store.list(p);
      assert.deepEqual(now.items.map((i) => i.value), ["b"]);
    });

    it("watches from a revision: history first, then live changes, with previous values", async () => {
      const p = prefix();
      const a = await store.create(p + "a", "1");
      const a2 = await store.update(p + "a", "2", a.modRevision);
      const events: WatchEvent[] = [];
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const w = store.watch(p, a.modRevision, {
        onEvent: (e) => { events.push(e); if (events.length === 4) done(); },
        onError: (e) => assert.fail(e),
      });
      await new Promise((r) => setTimeout(r, 100));
      await store.create(p + "b", "b");
      await store.delete(p + "a", a2.modRevision);
      await store.create(p.slice(0, -1) + "y/ignored", "x");
      await store.update(p + "b", "b2", (await store.get(p + "b"))!.modRevision);
      await finished;
      w.close();
      assert.deepEqual(events.map((e) => [e.type, e.kv.key.slice(p.length), e.kv.value]), [
        ["MODIFIED", "a", "2"], ["ADDED", "b", "b"], ["DELETED", "a", "2"], ["MODIFIED", "b", "b2"],
      ]);
      assert.equal(events[0]!.prevKv?.value, "1");
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.kv.modRevision > events[i - 1]!.kv.modRevision);
    });

    it("fails a watch or list from a compacted revision with Compacted", async () => {
      const p = prefix();
      const a = await store.create(p + "a", "1");
      const b = await store.update(p + "a", "2", a.modRevision);
      await store.update(p + "a", "3", b.modRevision);
      const rev = await store.currentRevision();
      await store.compact(rev);
      const err = await new Promise<Error>((resolve) => {
        store.watch(p, a.modRevision, { onEvent: () => assert.fail("no event expected"), onError: resolve });
      });
      assert.ok(isStoreError(err, "Compacted"), String(err));
      await assert.rejects(store.list(p, { revision: a.modRevision }), (e) => isStoreError(e, "Compacted"));
      assert.equal((await store.get(p + "a"))?.value, "3", "compaction keeps current values");
      assert.deepEqual((await store.list(p, { revision: rev })).items.map((i) => i.value), ["3"]);
    });

    it("keeps the revision growing across writes", async () => {
      const before = await store.currentRevision();
      await store.create(prefix() + "x", "1");
      assert.ok((await store.currentRevision()) > before);
    });
  });
}
