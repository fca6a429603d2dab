import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scaledValue, surgeAndUnavailable, templateHash, templateWithoutHash } from "./util.js";

describe("deployment helpers", () => {
  it("rounds surge up and unavailability down, as upstream", () => {
    assert.equal(scaledValue("25%", 10, true), 3);
    assert.equal(scaledValue("25%", 10, false), 2);
    assert.equal(scaledValue(4, 10, false), 4);
    const d = (ru: unknown, replicas = 3) => ({ metadata: {}, spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: ru } } });
    assert.deepEqual(surgeAndUnavailable(d({ maxSurge: "25%", maxUnavailable: "25%" })), { maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(surgeAndUnavailable(d({ maxSurge: 0, maxUnavailable: 0 })), { maxSurge: 0, maxUnavailable: 1 });
    assert.deepEqual(surgeAndUnavailable({ metadata: {}, spec: { replicas: 3, strategy: { type: "Recreate" } } }), { maxSurge: 0, maxUnavailable: 0 });
  });
  it("hashes templates stably, whatever the key order, and ignores the hash label when comparing", () => {
    const a = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "i" }] } };
    const b = { spec: { containers: [{ image: "i", name: "c" }] }, metadata: { labels: { app: "web" } } };
    assert.equal(templateHash(a), templateHash(b));
    assert.notEqual(templateHash(a), templateHash(a, 1), "a collision count gives another name");
    assert.match(templateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{5,10}$/);
    assert.deepEqual(templateWithoutHash({ metadata: { labels: { app: "web", "pod-template-hash": "x" } } }), { metadata: { labels: { app: "web" } } });
  });
});
