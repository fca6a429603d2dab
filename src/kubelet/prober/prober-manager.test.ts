import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import type { Container } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import { ProberManager } from "./prober-manager.js";

/** A runtime whose exec probes exit 0 for `pass` and 1 for anything else. */
function fakeRuntime(): ContainerRuntime {
  return {
    async execSync(_id: string, cmd: string[]) {
      return { stdout: Buffer.alloc(0), stderr: Buffer.from(cmd[0] === "pass" ? "" : "not yet"), exitCode: cmd[0] === "pass" ? 0 : 1 };
    },
  } as unknown as ContainerRuntime;
}

function newPod(containers: Container[]): Pod {
  return { metadata: { name: "web", namespace: "shop", uid: "uid-1" }, spec: { containers } };
}

const flush = () => new Promise((r) => setImmediate(r));

describe("ProberManager's probe metrics (/metrics/probes)", () => {
  it("counts every probe run by upstream's probe_type and result, times the successes, and drops a removed pod's series", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const unhealthy: string[] = [];
    const prober = new ProberManager(fakeRuntime(), { onResult: () => undefined, unhealthy: (_p, c, kind) => unhealthy.push(`${c}/${kind}`) });
    const web: Container = { name: "web", readinessProbe: { exec: { command: ["pass"] }, periodSeconds: 1 } };
    const worker: Container = { name: "worker", livenessProbe: { exec: { command: ["fail"] }, periodSeconds: 1, failureThreshold: 5 } };
    const pod = newPod([web, worker]);
    prober.sync(pod, [{ id: "c1", container: web, startedAt: Date.now() - 1000 }, { id: "c2", container: worker, startedAt: Date.now() - 1000 }], "127.0.0.1");
    for (let i = 0; i < 3; i++) {
      t.mock.timers.tick(i === 0 ? 0 : 1000);
      for (let j = 0; j < 5; j++) await flush();
    }
    assert.equal(prober.ready("c1", web), true);
    assert.deepEqual(unhealthy, ["worker/liveness", "worker/liveness", "worker/liveness"]);
    const text = await prober.metrics.registry.metrics();
    assert.match(text, /^# HELP prober_probe_total \[ALPHA\] Cumulative number of a liveness, readiness or startup probe for a container by result\.$/m);
    assert.match(text, /^# TYPE prober_probe_total counter$/m);
    assert.match(text, /^prober_probe_total\{container="web",namespace="shop",pod="web",pod_uid="uid-1",probe_type="Readiness",result="successful"\} 3$/m);
    assert.match(text, /^prober_probe_total\{container="worker",namespace="shop",pod="web",pod_uid="uid-1",probe_type="Liveness",result="failed"\} 3$/m);
    assert.doesNotMatch(text, /container="web".*result="failed"|container="worker".*result="successful"/);
    assert.match(text, /^prober_probe_duration_seconds_count\{container="web",namespace="shop",pod="web",probe_type="Readiness"\} 3$/m);
    assert.match(text, /^prober_probe_duration_seconds_bucket\{le="\+Inf",container="web",namespace="shop",pod="web",probe_type="Readiness"\} 3$/m);
    assert.doesNotMatch(text, /prober_probe_duration_seconds_count\{[^}]*probe_type="Liveness"/, "failures are not timed, as upstream");
    assert.match(text, /^process_start_time_seconds \d+$/m);

    prober.removePod("uid-1");
    const gone = await prober.metrics.registry.metrics();
    assert.doesNotMatch(gone, /prober_probe_total\{|prober_probe_duration_seconds_count\{/);
  });
});
