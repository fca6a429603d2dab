import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SchedulingQueue } from "./queue.js";

describe("scheduling queue", () => {
  it("pops the highest priority first, then in arrival order", async () => {
    const q = new SchedulingQueue();
    q.add("low", 0);
    q.add("high", 1000);
    q.add("low-2", 0);
    q.add("mid", 10);
    assert.deepEqual([await q.pop(), await q.pop(), await q.pop(), await q.pop()], ["high", "mid", "low", "low-2"]);
    q.close();
  });

  it("keeps a failed pod until the cluster changes, then holds it for its backoff", async () => {
    let now = 0;
    const q = new SchedulingQueue({ initialBackoffMs: 1000, maxBackoffMs: 4000, now: () => now });
    q.add("p", 0);
    assert.equal(await q.pop(), "p");
    q.failed("p");
    assert.deepEqual(q.sizes(), { active: 0, backoff: 0, unschedulable: 1 });
    q.moveAllToActiveOrBackoff();
    assert.deepEqual(q.sizes(), { active: 0, backoff: 1, unschedulable: 0 }, "its 1 s backoff has not ended");
    now = 1000;
    (q as unknown as { flush(): void }).flush();
    assert.equal(await q.pop(), "p");
    // Backoff doubles per attempt, up to the maximum.
    for (const expected of [2000, 4000, 4000]) {
      q.failed("p");
      q.moveAllToActiveOrBackoff();
      now += expected - 1;
      (q as unknown as { flush(): void }).flush();
      assert.equal(q.sizes().backoff, 1, `still backing off ${expected} ms`);
      now += 1;
      (q as unknown as { flush(): void }).flush();
      assert.equal(await q.pop(), "p");
    }
    q.close();
  });

  it("retries a pod left unschedulable too long even if nothing changed", async () => {
    let now = 0;
    const q = new SchedulingQueue({ maxUnschedulableMs: 5000, now: () => now });
    q.add("p", 0);
    await q.pop();
    q.failed("p");
    now = 5000;
    (q as unknown as { flush(): void }).flush();
    assert.equal(await q.pop(), "p");
    q.close();
  });

  it("forgets deleted pods and never hands out a key twice", async () => {
    const q = new SchedulingQueue();
    q.add("a", 0);
    q.add("a", 5);
    q.add("b", 0);
    q.forget("b");
    assert.equal(await q.pop(), "a");
    let popped: string | undefined = "none";
    const next = q.pop().then((k) => (popped = k));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(popped, "none", "nothing left to pop");
    q.close();
    await next;
    assert.equal(popped, undefined);
  });
});
