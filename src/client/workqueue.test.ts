import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkQueue, runWorkers } from "./workqueue.js";

describe("WorkQueue", () => {
  it("deduplicates and hands a key to one worker at a time", async () => {
    const q = new WorkQueue();
    q.add("a"); q.add("a"); q.add("b");
    assert.equal(q.length, 2);
    const first = await q.get();
    assert.equal(first, "a");
    q.add("a"); // while processing: queued again only after done
    assert.equal(await q.get(), "b");
    assert.equal(q.length, 0);
    q.done("a");
    assert.equal(await q.get(), "a");
  });
  it("backs off failing keys exponentially and forgets on success", async () => {
    const q = new WorkQueue({ baseDelayMs: 10 });
    let calls = 0;
    const times: number[] = [];
    const start = Date.now();
    const running = runWorkers(q, 2, async () => {
      calls++;
      times.push(Date.now() - start);
      if (calls < 4) throw new Error("not yet");
    }, () => {});
    q.add("k");
    while (calls < 4) await new Promise((r) => setTimeout(r, 5));
    q.shutDown();
    await running;
    assert.equal(q.numRequeues("k"), 0, "a success forgets the failures");
    assert.ok(times[3]! - times[0]! >= 10 + 20 + 40 - 5, `retries waited ${times.join(",")}`);
  });
});
