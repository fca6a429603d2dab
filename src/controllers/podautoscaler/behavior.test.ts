import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HorizontalPodAutoscalerBehavior } from "kubernetes-types/autoscaling/v2.js";
import { ScaleHistory } from "./behavior.js";

/** A history on a clock the test moves. */
function history(downscaleStabilizationMs = 300_000) {
  const clock = { t: Date.parse("2026-01-01T00:00:00Z") };
  return { clock, h: new ScaleHistory({ downscaleStabilizationMs, now: () => clock.t }) };
}

const defaults: HorizontalPodAutoscalerBehavior = {
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] },
  scaleDown: { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
};

describe("without behavior", () => {
  it("holds a scale-down back to the highest recommendation of the window", () => {
    const { clock, h } = history(60_000);
    h.recordInitial("k", 5);
    const first = h.normalize("k", 5, 2, 1, 10);
    assert.equal(first.replicas, 5);
    assert.equal(first.ableToScale.reason, "ScaleDownStabilized");
    clock.t += 61_000;
    const later = h.normalize("k", 5, 2, 1, 10);
    assert.equal(later.replicas, 2);
    assert.equal(later.ableToScale.reason, "ReadyForNewScale");
  });

  const cases = [
    { name: "max bounds the count", current: 3, desired: 9, min: 1, max: 5, want: 5, reason: "TooManyReplicas", limited: "True" },
    { name: "min bounds the count", current: 3, desired: 1, min: 2, max: 5, want: 2, reason: "TooFewReplicas", limited: "True" },
    { name: "a scale-up goes to twice the count at most", current: 3, desired: 20, min: 1, max: 50, want: 6, reason: "ScaleUpLimit", limited: "True" },
    { name: "within range", current: 3, desired: 4, min: 1, max: 5, want: 4, reason: "DesiredWithinRange", limited: "False" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { h } = history(0);
      const got = h.normalize("k", c.current, c.desired, c.min, c.max);
      assert.equal(got.replicas, c.want);
      assert.equal(got.scalingLimited.reason, c.reason);
      assert.equal(got.scalingLimited.status, c.limited);
    });
  }
});

describe("with behavior", () => {
  it("the default scale-up adds 4 pods or doubles, whichever is more, each 15 s", () => {
    const { clock, h } = history();
    h.recordInitial("k", 1);
    const first = h.normalizeWithBehavior("k", defaults, 1, 20, 1, 20);
    assert.equal(first.replicas, 5);
    assert.equal(first.scalingLimited.reason, "ScaleUpLimit");
    h.storeScaleEvent("k", defaults, 1, 5);
    // Within the same period the 4 pods are used up (from 1: max(1+4, 2×1) = 5).
    clock.t += 5_000;
    assert.equal(h.normalizeWithBehavior("k", defaults, 5, 20, 1, 20).replicas, 5);
    clock.t += 11_000;
    assert.equal(h.normalizeWithBehavior("k", defaults, 5, 20, 1, 20).replicas, 10);
  });

  it("selectPolicy Min takes the smallest change; Disabled none", () => {
    const min: HorizontalPodAutoscalerBehavior = { ...defaults, scaleUp: { ...defaults.scaleUp, selectPolicy: "Min" } };
    assert.equal(history().h.normalizeWithBehavior("k", min, 10, 40, 1, 40).replicas, 14);
    const off: HorizontalPodAutoscalerBehavior = { ...defaults, scaleDown: { ...defaults.scaleDown, selectPolicy: "Disabled", stabilizationWindowSeconds: 0 } };
    const got = history().h.normalizeWithBehavior("k", off, 10, 2, 1, 40);
    assert.equal(got.replicas, 10);
    assert.equal(got.scalingLimited.reason, "ScaleDownLimit");
  });

  it("a Pods scale-down policy removes that many per period", () => {
    const b: HorizontalPodAutoscalerBehavior = { ...defaults, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } };
    const { clock, h } = history();
    assert.equal(h.normalizeWithBehavior("k", b, 5, 1, 1, 10).replicas, 4);
    h.storeScaleEvent("k", b, 5, 4);
    clock.t += 30_000;
    assert.equal(h.normalizeWithBehavior("k", b, 4, 1, 1, 10).replicas, 4);
    clock.t += 31_000;
    assert.equal(h.normalizeWithBehavior("k", b, 4, 1, 1, 10).replicas, 3);
  });

  it("scaleDown without a window uses the controller's downscale stabilization", () => {
    const { clock, h } = history(30_000);
    h.recordInitial("k", 6);
    const held = h.normalizeWithBehavior("k", defaults, 6, 2, 1, 10);
    assert.equal(held.replicas, 6);
    assert.equal(held.ableToScale.reason, "ScaleDownStabilized");
    clock.t += 31_000;
    assert.equal(h.normalizeWithBehavior("k", defaults, 6, 2, 1, 10).replicas, 2);
  });

  it("a scale-up window takes the lowest recent recommendation", () => {
    const b: HorizontalPodAutoscalerBehavior = { ...defaults, scaleUp: { ...defaults.scaleUp, stabilizationWindowSeconds: 60 } };
    const { clock, h } = history();
    h.recordInitial("k", 2);
    const got = h.normalizeWithBehavior("k", b, 2, 6, 1, 10);
    assert.equal(got.replicas, 2);
    assert.equal(got.ableToScale.reason, "ScaleUpStabilized");
    clock.t += 61_000;
    assert.equal(h.normalizeWithBehavior("k", b, 2, 6, 1, 10).replicas, 6);
  });
});
