import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { sleep } from "./controller.js";

describe("sleep", () => {
  it("leaves no abort listener behind, however many periods a loop waits", async () => {
    const abort = new AbortController();
    for (let i = 0; i < 25; i++) await sleep(1, abort.signal);
    assert.equal(getEventListeners(abort.signal, "abort").length, 0);
  });

  it("ends at once when the signal aborts", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await waiting;
    assert.ok(Date.now() - started < 5_000);
    await sleep(60_000, abort.signal); // already aborted: returns
  });
});
