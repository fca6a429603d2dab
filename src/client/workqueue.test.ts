import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkQueue, runWorkers } from "./workqueue.js";
import { WorkQueueMetrics } from "./workqueue-metrics.js";
import { LeaderElectionMetrics } from "./leader-election-metrics.js";
import { Registry } from "../metrics/index.js";

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
  it("reports depth, adds, retries and durations per queue name (workqueue_*)", async () => {
    const registry = new Registry();
    const metrics = new WorkQueueMetrics(registry);
    const q = new WorkQueue({ baseDelayMs: 1 });
    q.add("early"); // before metrics: counted as added when they attach
    q.setMetrics(metrics.forQueue("deployment"));
    new WorkQueue().setMetrics(metrics.forQueue("replicaset"));
    q.add("a"); q.add("a");
    let text = await registry.metrics();
    assert.match(text, /^workqueue_depth\{name="deployment"\} 2$/m);
    assert.match(text, /^workqueue_adds_total\{name="deployment"\} 2$/m, "a key already queued is not added again");
    assert.match(text, /^workqueue_depth\{name="replicaset"\} 0$/m);
    let failed = false;
    const running = runWorkers(q, 1, async (key) => {
      if (key === "a" && !failed) { failed = true; throw new Error("once"); }
    }, () => undefined);
    for (let i = 0; i < 100 && !(failed && q.length === 0 && q.numRequeues("a") === 0); i++) await new Promise((r) => setTimeout(r, 5));
    q.shutDown();
    await running;
    text = await registry.metrics();
    assert.match(text, /^workqueue_depth\{name="deployment"\} 0$/m);
    assert.match(text, /^workqueue_retries_total\{name="deployment"\} 1$/m);
    assert.match(text, /^workqueue_adds_total\{name="deployment"\} 3$/m, "the retry is an add");
    assert.match(text, /^workqueue_queue_duration_seconds_count\{name="deployment"\} 3$/m);
    assert.match(text, /^workqueue_work_duration_seconds_count\{name="deployment"\} 3$/m);
  });
  it("reports leading as leader_election_master_status", async () => {
    const registry = new Registry();
    const m = new LeaderElectionMetrics(registry);
    m.leading("kube-scheduler", true);
    m.leading("kube-controller-manager", false);
    const text = await registry.metrics();
    assert.match(text, /^leader_election_master_status\{name="kube-scheduler"\} 1$/m);
    assert.match(text, /^leader_election_master_status\{name="kube-controller-manager"\} 0$/m);
  });
});
