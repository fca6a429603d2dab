/** HorizontalPodAutoscalers, served as autoscaling/v2 and v1 (one strategy for both): status is the autoscaler's. */
import type { HorizontalPodAutoscaler as HpaV1 } from "kubernetes-types/autoscaling/v1.js";
import type { HorizontalPodAutoscaler as HpaV2 } from "kubernetes-types/autoscaling/v2.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

/** An autoscaler read through either version: v1 has a CPU target, v2 a list of metrics. */
export type AnyHorizontalPodAutoscaler = Omit<HpaV1, "apiVersion"> & Omit<HpaV2, "apiVersion">;

export const horizontalPodAutoscalerStrategy: Strategy<Stored<AnyHorizontalPodAutoscaler>> = {
  prepareForCreate: clearStatus,
};
