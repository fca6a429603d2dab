import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinResources } from "./resources.js";
import { humanDuration, tablePrinter } from "./tables.js";

describe("humanDuration", () => {
  const cases: [number, string][] = [[-5000, "<invalid>"], [0, "0s"], [59_000, "59s"], [119_000, "119s"], [150_000, "2m30s"], [600_000, "10m"], [3 * 3600_000 + 5 * 60_000, "3h5m"], [30 * 3600_000, "30h"], [3 * 86400_000 + 3600_000, "3d1h"], [40 * 86400_000, "40d"], [3 * 365 * 86400_000, "3y0d"]];
  for (const [ms, want] of cases) it(`${ms}ms is ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe("table printers", () => {
  const info = (kind: string) => builtinResources.find((r) => r.kind === kind)!;
  it("prints pods with ready containers, status and restarts", () => {
    const p = tablePrinter(info("Pod"));
    assert.deepEqual(p.columns.map((c) => [c.name, c.priority]), [["Name", 0], ["Ready", 0], ["Status", 0], ["Restarts", 0], ["Age", 0], ["IP", 1], ["Node", 1], ["Nominated Node", 1], ["Readiness Gates", 1]]);
    const now = Date.parse("2026-01-01T00:01:00Z");
    const row = p.row({
      metadata: { name: "web-1", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { containers: [{ name: "a" }, { name: "b" }], nodeName: "n1" },
      status: { phase: "Running", podIP: "10.244.0.5", containerStatuses: [{ name: "a", ready: true, restartCount: 0, state: { running: {} } }, { name: "b", ready: false, restartCount: 2, state: { waiting: { reason: "CrashLoopBackOff" } } }] },
    }, now);
    assert.deepEqual(row.slice(0, 7), ["web-1", "1/2", "CrashLoopBackOff", "2", "60s", "10.244.0.5", "n1"]);
  });
  it("prints services with their ports and node ports", () => {
    const row = tablePrinter(info("Service")).row({ metadata: { name: "s", creationTimestamp: new Date().toISOString() }, spec: { type: "NodePort", clusterIP: "10.96.0.9", ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }], selector: { app: "s" } } }, Date.now());
    assert.deepEqual([row[1], row[2], row[3], row[4], row[6]], ["NodePort", "10.96.0.9", "<none>", "80:30080/TCP", "app=s"]);
  });
});
