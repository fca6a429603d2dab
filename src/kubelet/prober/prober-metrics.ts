/**
 * What the kubelet serves at `/metrics/probes` (upstream's ProberResults and
 * ProberDuration, with process_start_time_seconds, on a registry of their
 * own): every probe run counted by its result, and the time of the runs that
 * succeeded. A pod's series go with the pod, as upstream's workers delete
 * theirs when they stop.
 */
import { Counter, Gauge, Histogram, Registry } from "../../metrics/index.js";
import type { Pod } from "../types.js";
import type { ProbeKind } from "./prober-manager.js";

export type ProbeResultLabel = "successful" | "failed" | "unknown";

/** Upstream's probe_type values (its probeType.String()). */
const PROBE_TYPE: Record<ProbeKind, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" };
const RESULTS: ProbeResultLabel[] = ["successful", "failed", "unknown"];
/** client_golang's DefBuckets, which component-base gives a histogram without buckets of its own. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Keys in the order of the names, as client_golang writes labels. */
type DurationLabels = { container: string; namespace: string; pod: string; probe_type: string };

export class ProberMetrics {
  readonly registry: Registry;
  private readonly total: Counter;
  private readonly duration: Histogram;
  /** Pod UID → the probe_type/container pairs it has series for. */
  private readonly seen = new Map<string, Map<string, DurationLabels>>();

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    // Computed as prom-client computes its own, so /metrics and /metrics/probes agree.
    const started = Math.round(Date.now() / 1000 - process.uptime());
    new Gauge({ name: "process_start_time_seconds", help: "[ALPHA] Start time of the process since unix epoch in seconds.", registers }).set(started);
    this.total = new Counter({
      name: "prober_probe_total", help: "[ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.",
      labelNames: ["probe_type", "result", "container", "pod", "namespace", "pod_uid"], registers,
    });
    this.duration = new Histogram({
      name: "prober_probe_duration_seconds", help: "[ALPHA] Duration in seconds for a probe response.",
      labelNames: ["probe_type", "container", "pod", "namespace"], buckets: DEFAULT_BUCKETS, registers,
    });
  }

  /**
   * One probe run. Its time is kept for successes (and unknowns) only, as
   * upstream's worker observes it: a failure's time is mostly its timeout.
   */
  probed(pod: Pod, container: string, kind: ProbeKind, result: ProbeResultLabel, seconds: number): void {
    const uid = String(pod.metadata.uid ?? "");
    const labels: DurationLabels = { container, namespace: String(pod.metadata.namespace ?? ""), pod: String(pod.metadata.name ?? ""), probe_type: PROBE_TYPE[kind] };
    let mine = this.seen.get(uid);
    if (!mine) this.seen.set(uid, (mine = new Map()));
    mine.set(`${kind}/${container}`, labels);
    this.total.inc(totalLabels(labels, result, uid));
    if (result !== "failed") this.duration.observe(labels, seconds);
  }

  /** Drops the series of a pod that is gone. */
  forgetPod(uid: string): void {
    for (const labels of this.seen.get(uid)?.values() ?? []) {
      for (const result of RESULTS) this.total.remove(totalLabels(labels, result, uid));
      this.duration.remove(labels);
    }
    this.seen.delete(uid);
  }
}

function totalLabels(l: DurationLabels, result: ProbeResultLabel, uid: string) {
  return { container: l.container, namespace: l.namespace, pod: l.pod, pod_uid: uid, probe_type: l.probe_type, result };
}
