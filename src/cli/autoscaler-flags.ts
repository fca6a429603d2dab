/**
 * The controller manager's --horizontal-pod-autoscaler-* flags, with
 * upstream's names and defaults, shared by `skiff server` and
 * `skiff controller-manager`.
 */
import type { HorizontalControllerOptions } from "../controllers/podautoscaler/horizontal-controller.js";

export const autoscalerUsage = `  --horizontal-pod-autoscaler-sync-period DURATION  how often each HorizontalPodAutoscaler is synced (default 15s)
  --horizontal-pod-autoscaler-downscale-stabilization DURATION  how far back the highest recommendation holds a
                               scale-down back (default 5m0s)
  --horizontal-pod-autoscaler-tolerance RATIO  how far the usage ratio must be from 1 before scaling (default 0.1)
  --horizontal-pod-autoscaler-cpu-initialization-period DURATION  after a pod starts, how long its cpu samples count
                               only once taken after it turned ready (default 5m0s)
  --horizontal-pod-autoscaler-initial-readiness-delay DURATION  after a pod starts, how long a turn to unready is
                               taken as not yet ready (default 30s)
`;

export const autoscalerFlags = {
  "horizontal-pod-autoscaler-sync-period": { type: "string", default: "15s" },
  "horizontal-pod-autoscaler-downscale-stabilization": { type: "string", default: "5m0s" },
  "horizontal-pod-autoscaler-tolerance": { type: "string", default: "0.1" },
  "horizontal-pod-autoscaler-cpu-initialization-period": { type: "string", default: "5m0s" },
  "horizontal-pod-autoscaler-initial-readiness-delay": { type: "string", default: "30s" },
} as const;

/** A Go duration (`15s`, `1m30s`, `500ms`) in milliseconds. */
export function goDurationMs(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (text === "0") return 0;
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) throw new Error(`invalid value "${text}" for flag --${flag}: time: invalid duration "${text}"`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[unit as "s"], 0);
}

export function autoscalerOptions(values: Partial<Record<keyof typeof autoscalerFlags, string | boolean | undefined>>): HorizontalControllerOptions {
  const duration = (k: keyof typeof autoscalerFlags) => goDurationMs(String(values[k] ?? autoscalerFlags[k].default), k);
  const tolerance = Number(values["horizontal-pod-autoscaler-tolerance"] ?? "0.1");
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new Error(`invalid value "${values["horizontal-pod-autoscaler-tolerance"]}" for flag --horizontal-pod-autoscaler-tolerance`);
  const syncPeriodMs = duration("horizontal-pod-autoscaler-sync-period");
  if (syncPeriodMs <= 0) throw new Error("--horizontal-pod-autoscaler-sync-period must be greater than 0");
  return {
    syncPeriodMs, tolerance,
    downscaleStabilizationMs: duration("horizontal-pod-autoscaler-downscale-stabilization"),
    cpuInitializationPeriodMs: duration("horizontal-pod-autoscaler-cpu-initialization-period"),
    initialReadinessDelayMs: duration("horizontal-pod-autoscaler-initial-readiness-delay"),
  };
}
