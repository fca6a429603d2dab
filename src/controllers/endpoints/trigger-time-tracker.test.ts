import assert from "node:assert/strict";
import { it } from "node:test";
import type { Pod, Service } from "kubernetes-types/core/v1.js";
import { rfc3339, rfc3339Nano } from "../../api/time.js";
import { TriggerTimeTracker } from "./trigger-time-tracker.js";

const t0 = Date.parse("2026-01-01T00:00:00Z");
const at = (s: number) => t0 + s * 1000;
const newService = (created = 0): Service => ({ metadata: { namespace: "default", name: "web", creationTimestamp: rfc3339(at(created)) } });
/** A pod whose Ready condition last changed at `ready` seconds after t0 (none when undefined). */
const newPod = (name: string, ready?: number): Pod => ({
  metadata: { namespace: "default", name },
  status: { conditions: ready === undefined ? [] : [{ type: "Ready", status: "True", lastTransitionTime: rfc3339(at(ready)) }] },
});

it("computes upstream's last-change trigger time over a Service's syncs", () => {
  const tracker = new TriggerTimeTracker();
  const svc = newService(0);
  const steps: { name: string; pods: Pod[]; want: number | undefined }[] = [
    { name: "a Service seen first counts from its creation, whatever its pods", pods: [newPod("a", 5)], want: at(0) },
    { name: "nothing changed since", pods: [newPod("a", 5)], want: undefined },
    { name: "a pod turns Ready", pods: [newPod("a", 5), newPod("b", 10)], want: at(10) },
    { name: "two changes: the earliest", pods: [newPod("a", 20), newPod("b", 10), newPod("c", 15)], want: at(15) },
    { name: "a pod that went is no change of its own", pods: [newPod("a", 20), newPod("c", 15)], want: undefined },
    { name: "a pod without a Ready condition triggers nothing", pods: [newPod("a", 20), newPod("c", 15), newPod("d")], want: undefined },
    { name: "a pod that comes back with the same time is new to the tracker", pods: [newPod("a", 20), newPod("b", 10), newPod("c", 15)], want: at(10) },
  ];
  for (const step of steps) assert.equal(tracker.compute(svc, step.pods), step.want, step.name);
});

it("treats a Service deleted and made again under its name as new", () => {
  const tracker = new TriggerTimeTracker();
  tracker.compute(newService(0), [newPod("a", 5)]);
  assert.equal(tracker.compute(newService(0), [newPod("a", 5)]), undefined);
  tracker.deleteService("default", "web");
  assert.equal(tracker.compute(newService(30), [newPod("a", 5)]), at(30));
  assert.equal(tracker.compute(newService(40), [newPod("a", 5)]), at(40), "a later creationTimestamp is a change");
});

it("keeps Services apart", () => {
  const tracker = new TriggerTimeTracker();
  const other: Service = { metadata: { ...newService(3).metadata, name: "api" } };
  tracker.compute(newService(0), [newPod("a", 5)]);
  assert.equal(tracker.compute(other, [newPod("a", 5)]), at(3), "api is new though web has seen pod a");
});

it("writes the time as Go's RFC3339Nano: no fraction for whole seconds, no trailing zeros", () => {
  assert.equal(rfc3339Nano(at(10)), "2026-01-01T00:00:10Z");
  assert.equal(rfc3339Nano(at(10.5)), "2026-01-01T00:00:10.5Z");
  assert.equal(rfc3339Nano(at(10.123)), "2026-01-01T00:00:10.123Z");
});
