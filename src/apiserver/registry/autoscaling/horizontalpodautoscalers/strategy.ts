/**
 * HorizontalPodAutoscalers, served as autoscaling/v2 and v1 (one strategy for
 * both, stored as v2): defaults per version, upstream's validation, status is
 * the autoscaler's, and `kubectl get` columns from the stored object.
 */
import type { HorizontalPodAutoscaler as HpaV1, HorizontalPodAutoscalerSpec as HpaV1Spec } from "kubernetes-types/autoscaling/v1.js";
import type { HorizontalPodAutoscaler as HpaV2, HorizontalPodAutoscalerSpec as HpaV2Spec } from "kubernetes-types/autoscaling/v2.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { autoscalingV1 } from "./conversion.js";
import { defaultHpaV2Spec } from "./defaults.js";
import { horizontalPodAutoscalerTable } from "./table.js";
import { validateHpaSpec } from "./validation.js";

/** An autoscaler read through either version: v1 has a CPU target, v2 a list of metrics. */
export type AnyHorizontalPodAutoscaler = Omit<HpaV1, "apiVersion"> & Omit<HpaV2, "apiVersion">;

export const horizontalPodAutoscalerStrategy: Strategy<Stored<AnyHorizontalPodAutoscaler>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as HpaV1Spec & HpaV2Spec);
    // v1's missing CPU target becomes v2's default metric in conversion.
    if ((o as { apiVersion?: string }).apiVersion === "autoscaling/v1") spec.minReplicas ??= 1;
    else defaultHpaV2Spec(spec);
  },
  validate: (o) => validateHpaSpec(o.spec),
  prepareForCreate: clearStatus,
  conversions: { v1: autoscalingV1 },
  printer: horizontalPodAutoscalerTable,
};
