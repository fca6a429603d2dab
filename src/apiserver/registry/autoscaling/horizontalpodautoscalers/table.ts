/**
 * `kubectl get hpa` (upstream's printHorizontalPodAutoscaler): the target,
 * each metric's current value over its target (`cpu: 250%/50%`, `<unknown>`
 * until the controller has read it; two shown, then "+ N more..."), the
 * bounds and the current count. Rows come from the stored v2 object.
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

const UNKNOWN = "<unknown>";

function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case "External": {
      const t = spec.external!.target;
      if (t.averageValue !== undefined) return `${status?.external?.current.averageValue ?? UNKNOWN}/${t.averageValue} (avg)`;
      return `${status?.external?.current.value ?? UNKNOWN}/${t.value}`;
    }
    case "Pods":
      return `${status?.pods?.current.averageValue ?? UNKNOWN}/${spec.pods!.target.averageValue}`;
    case "Object": {
      const t = spec.object!.target;
      if (t.averageValue !== undefined) return `${status?.object?.current.averageValue ?? UNKNOWN}/${t.averageValue} (avg)`;
      return `${status?.object?.current.value ?? UNKNOWN}/${t.value}`;
    }
    case "Resource":
    case "ContainerResource": {
      const source = spec.type === "Resource" ? spec.resource! : spec.containerResource!;
      const current = spec.type === "Resource" ? status?.resource?.current : status?.containerResource?.current;
      if (source.target.averageValue !== undefined) return `${source.name}: ${current?.averageValue ?? UNKNOWN}/${source.target.averageValue}`;
      const utilization = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : UNKNOWN;
      const target = source.target.averageUtilization !== undefined ? `${source.target.averageUtilization}%` : "<auto>";
      return `${source.name}: ${utilization}/${target}`;
    }
    default:
      return "<unknown type>";
  }
}

export function formatHpaMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs?.length) return "<none>";
  const list = specs.map((s, i) => formatMetric(s, statuses?.[i]));
  return list.length > 2 ? `${list.slice(0, 2).join(", ")} + ${list.length - 2} more...` : list.join(", ");
}

export const horizontalPodAutoscalerTable = tablePrinter<Stored<HorizontalPodAutoscaler>>(
  [["Reference"], ["Targets"], ["MinPods"], ["MaxPods", "integer"], ["Replicas", "integer"], ["Age"]],
  (o, now) => {
    const ref = o.spec?.scaleTargetRef;
    return [`${ref?.kind ?? ""}/${ref?.name ?? ""}`, formatHpaMetrics(o.spec?.metrics, o.status?.currentMetrics), o.spec?.minReplicas ?? "<unset>",
      o.spec?.maxReplicas ?? 0, o.status?.currentReplicas ?? 0, age(o.metadata.creationTimestamp, now)];
  },
);
