/**
 * The `endpoints.kubernetes.io/last-change-trigger-time` annotation, as
 * upstream's TriggerTimeTracker computes it: the time of the earliest change
 * not yet reflected in a Service's Endpoints and EndpointSlices. A pod's
 * change is its Ready condition's lastTransitionTime, a Service's its
 * creationTimestamp. kube-proxy measures its network programming latency
 * from it.
 *
 * Like upstream's, it sees objects only at syncs: a pod that changes twice
 * between two syncs counts from its later change.
 */
import type { Pod, Service } from "kubernetes-types/core/v1.js";

export const ENDPOINTS_LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

/** What the last sync of one Service saw (ms since the epoch). */
interface ServiceState {
  serviceTriggerTime: number;
  /** By pod name. */
  podTriggerTimes: Map<string, number>;
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * The trigger time (ms) for this sync of the Service, given the pods its
   * selector matches; undefined when nothing changed since the last sync, in
   * which case writers drop the annotation. Records what it saw: call it on
   * every sync, also one that writes nothing, and once per sync.
   */
  compute(service: Service, pods: Pod[]): number | undefined {
    const key = `${service.metadata?.namespace}/${service.metadata?.name}`;
    const before = this.states.get(key);
    let earliest: number | undefined;
    const changed = (t: number) => { earliest = earliest === undefined ? t : Math.min(earliest, t); };
    const podTriggerTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = podTriggerTime(pod);
      if (t === undefined) continue;
      podTriggerTimes.set(pod.metadata!.name!, t);
      if (t > (before?.podTriggerTimes.get(pod.metadata!.name!) ?? -Infinity)) changed(t);
    }
    const serviceTriggerTime = time(service.metadata?.creationTimestamp) ?? 0;
    if (serviceTriggerTime > (before?.serviceTriggerTime ?? -Infinity)) changed(serviceTriggerTime);
    this.states.set(key, { serviceTriggerTime, podTriggerTimes });
    // A Service seen for the first time counts from its creation.
    if (!before) return serviceTriggerTime || undefined;
    return earliest;
  }

  /** Forgets a deleted Service, so one made again under its name is new. */
  deleteService(namespace: string, name: string): void {
    this.states.delete(`${namespace}/${name}`);
  }
}

function podTriggerTime(pod: Pod): number | undefined {
  return time(pod.status?.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime);
}

function time(s: string | undefined): number | undefined {
  const t = Date.parse(s ?? "");
  return Number.isNaN(t) ? undefined : t;
}
