/** HorizontalPodAutoscalers, served as autoscaling/v2 and v1 (one strategy for both): one replica at least by default, status is the autoscaler's. */
import type { CrossVersionObjectReference, HorizontalPodAutoscaler as HpaV1, HorizontalPodAutoscalerSpec as HpaV1Spec } from "kubernetes-types/autoscaling/v1.js";
import type { HorizontalPodAutoscaler as HpaV2, HorizontalPodAutoscalerSpec as HpaV2Spec } from "kubernetes-types/autoscaling/v2.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { autoscalingV1 } from "./conversion.js";

/** An autoscaler read through either version: v1 has a CPU target, v2 a list of metrics. */
export type AnyHorizontalPodAutoscaler = Omit<HpaV1, "apiVersion"> & Omit<HpaV2, "apiVersion">;

/** Targets: v1's CPU utilization with its current value, or v2's metrics (current values are not known here). */
const horizontalPodAutoscalerTable = tablePrinter<Stored<AnyHorizontalPodAutoscaler>>(
  [["Reference"], ["Targets"], ["MinPods", "integer"], ["MaxPods", "integer"], ["Replicas", "integer"], ["Age"]],
  (o, now) => {
    const ref: Partial<CrossVersionObjectReference> = o.spec?.scaleTargetRef ?? {};
    const targets = o.spec?.targetCPUUtilizationPercentage !== undefined
      ? `cpu: ${o.status?.currentCPUUtilizationPercentage ?? "<unknown>"}${o.status?.currentCPUUtilizationPercentage !== undefined ? "%" : ""}/${o.spec.targetCPUUtilizationPercentage}%`
      : (o.spec?.metrics ?? []).map((m) => `${m.resource?.name ?? m.type}: <unknown>/${m.resource?.target?.averageUtilization ?? "?"}%`).join(", ") || "<none>";
    return [`${ref.kind}/${ref.name}`, targets, o.spec?.minReplicas ?? 1, o.spec?.maxReplicas ?? 0, o.status?.currentReplicas ?? 0, age(o.metadata.creationTimestamp, now)];
  },
);

export const horizontalPodAutoscalerStrategy: Strategy<Stored<AnyHorizontalPodAutoscaler>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as HpaV1Spec & HpaV2Spec);
    spec.minReplicas ??= 1;
  },
  prepareForCreate: clearStatus,
  // Stored as v2.
  conversions: { v1: autoscalingV1 },
  printer: horizontalPodAutoscalerTable,
};
