import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LogBackend } from "./log-backend.js";
import type { Event } from "./types.js";

const dir = mkdtempSync(join(tmpdir(), "skiff-audit-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function event(i: number, pad = 0): Event {
  return {
    kind: "Event", apiVersion: "audit.k8s.io/v1", level: "Metadata", auditID: `id-${i}`, stage: "ResponseComplete", requestURI: "/api/v1/pods" + "x".repeat(pad),
    verb: "list", user: { username: "admin" }, requestReceivedTimestamp: "2026-12-02T01:00:00.000000Z", stageTimestamp: "2026-12-02T01:00:00.000001Z",
  };
}

describe("audit LogBackend", () => {
  it("appends one JSON event a line to a 0600 file", () => {
    const path = join(dir, "made", "audit.log");
    const backend = new LogBackend({ path });
    backend.processEvent(event(1));
    backend.processEvent(event(2));
    backend.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Event);
    assert.deepEqual(lines.map((e) => e.auditID), ["id-1", "id-2"]);
    // A restart appends.
    const again = new LogBackend({ path });
    again.processEvent(event(3));
    again.close();
    assert.equal(readFileSync(path, "utf8").trimEnd().split("\n").length, 3);
  });

  it("rotates past maxSize and keeps maxBackups, removing those past maxAge", () => {
    const sub = mkdtempSync(join(dir, "rotate-"));
    const path = join(sub, "audit.log");
    // A backup from long ago, which maxAge removes at the next rotation.
    writeFileSync(join(sub, "audit-2020-01-01T00-00-00.000.log"), "old\n");
    let t = Date.parse("2026-12-02T01:00:00.000Z");
    const backend = new LogBackend({ path, maxSizeMB: 1, maxBackups: 2, maxAgeDays: 30, now: () => new Date(t += 1000) });
    // Each event is about 300 KiB: four fit in no file, so every fourth write rotates.
    for (let i = 0; i < 12; i++) backend.processEvent(event(i, 300 * 1024));
    backend.close();
    const files = readdirSync(sub).sort();
    assert.equal(files.length, 3, files.join(" "));
    assert.ok(files.includes("audit.log"));
    assert.ok(files.every((f) => f === "audit.log" || /^audit-2026-12-02T01-00-\d{2}\.\d{3}\.log$/.test(f)), files.join(" "));
    for (const f of files) assert.ok(statSync(join(sub, f)).size <= 1024 * 1024);
  });
});
