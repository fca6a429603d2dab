/** HorizontalPodAutoscalers, served as autoscaling/v2 and v1 (one strategy for both): one replica at least by default, status is the autoscaler's. */
import type { HorizontalPodAutoscaler as HpaV1, HorizontalPodAutoscalerSpec as HpaV1Spec } from "kubernetes-types/autoscaling/v1.js";
import type { HorizontalPodAutoscaler as HpaV2, HorizontalPodAutoscalerSpec as HpaV2Spec } from "kubernetes-types/autoscaling/v2.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

/** An autoscaler read through either version: v1 has a CPU target, v2 a list of metrics. */
export type AnyHorizontalPodAutoscaler = Omit<HpaV1, "apiVersion"> & Omit<HpaV2, "apiVersion">;

export const horizontalPodAutoscalerStrategy: Strategy<Stored<AnyHorizontalPodAutoscaler>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as HpaV1Spec & HpaV2Spec);
    spec.minReplicas ??= 1;
  },
  prepareForCreate: clearStatus,
};
