import assert from "node:assert/strict";
import { it } from "node:test";
import { Backoff } from "./backoff.js";

it("lets a failed daemon pod be killed at once, then doubles the wait per node up to the maximum", () => {
  let now = 0;
  const b = new Backoff(1_000, 4_000, () => now);
  assert.equal(b.wait("ds/n1"), 0);
  assert.equal(b.wait("ds/n1"), 1_000, "the next kill waits the initial delay");
  assert.equal(b.wait("ds/n2"), 0, "each node has its own");
  now = 1_000;
  assert.equal(b.wait("ds/n1"), 0);
  now = 1_500;
  assert.equal(b.wait("ds/n1"), 1_500, "then twice as long");
  now = 3_000; b.wait("ds/n1"); now = 7_000; b.wait("ds/n1");
  now = 11_000;
  assert.equal(b.wait("ds/n1"), 0);
  assert.equal(b.wait("ds/n1"), 4_000, "never past the maximum");
  now = 11_000 + 8_001;
  assert.equal(b.wait("ds/n1"), 0);
  assert.equal(b.wait("ds/n1"), 1_000, "a node quiet for twice the maximum starts over");
});
