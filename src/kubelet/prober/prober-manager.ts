/**
 * Probe workers, one per running container and probe kind, on the probe's
 * own period and thresholds (upstream's prober manager). Results are kept by
 * container ID; a change asks the kubelet to sync the pod, which reports
 * readiness and restarts containers that failed liveness or startup. Every
 * run is counted and timed in ProberMetrics (`/metrics/probes`).
 */
import type { Container, Probe } from "kubernetes-types/core/v1.js";
import type { Pod } from "../types.js";
import type { ContainerRuntime } from "../kuberuntime/runtime.js";
import { runProbe } from "./probe.js";
import { ProberMetrics } from "./prober-metrics.js";

export type ProbeKind = "liveness" | "readiness" | "startup";

interface Worker { timer: NodeJS.Timeout; stopped: boolean }

export interface ProberEvents {
  onResult(pod: Pod): void;
  unhealthy(pod: Pod, container: string, kind: ProbeKind, output: string): void;
}

export class ProberManager {
  private readonly workers = new Map<string, Worker>();
  /** containerID/kind → current result; absent means not yet known. */
  private readonly results = new Map<string, boolean>();

  constructor(private readonly runtime: ContainerRuntime, private readonly events: ProberEvents, readonly metrics = new ProberMetrics()) {}

  result(containerId: string, kind: ProbeKind): boolean | undefined {
    return this.results.get(`${containerId}/${kind}`);
  }

  /** Readiness as the status reports it: false until the probe passes (true with no probe). */
  ready(containerId: string, container: Container): boolean {
    if (!container.readinessProbe) return true;
    return this.result(containerId, "readiness") === true;
  }

  started(containerId: string, container: Container): boolean {
    if (!container.startupProbe) return true;
    return this.result(containerId, "startup") === true;
  }

  /** Keeps exactly the workers the pod's running containers need. */
  sync(pod: Pod, running: { id: string; container: Container; startedAt: number }[], podIP: string): void {
    const uid = String(pod.metadata.uid);
    const wanted = new Set<string>();
    for (const r of running) {
      for (const kind of ["liveness", "readiness", "startup"] as ProbeKind[]) {
        const probe = r.container[`${kind}Probe` as const];
        if (!probe) continue;
        const key = `${uid}/${r.id}/${kind}`;
        wanted.add(key);
        if (!this.workers.has(key)) this.start(key, pod, r.id, r.container, kind, probe, podIP, r.startedAt);
      }
    }
    for (const key of [...this.workers.keys()]) {
      if (key.startsWith(uid + "/") && !wanted.has(key)) this.stop(key);
    }
  }

  removePod(uid: string): void {
    for (const key of [...this.workers.keys()]) if (key.startsWith(uid + "/")) this.stop(key);
    this.metrics.forgetPod(uid);
  }

  stopAll(): void {
    for (const key of [...this.workers.keys()]) this.stop(key);
  }

  private stop(key: string): void {
    const w = this.workers.get(key);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    this.workers.delete(key);
    const [, id, kind] = key.split("/");
    this.results.delete(`${id}/${kind}`);
  }

  private start(key: string, pod: Pod, containerId: string, container: Container, kind: ProbeKind, probe: Probe, podIP: string, startedAt: number): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = kind === "readiness" ? probe.successThreshold ?? 1 : 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    const resultKey = `${containerId}/${kind}`;
    let successes = 0, failures = 0;
    const worker: Worker = { timer: undefined as unknown as NodeJS.Timeout, stopped: false };
    const tick = async () => {
      if (worker.stopped) return;
      // Liveness and readiness wait until the startup probe has passed.
      if (kind !== "startup" && container.startupProbe && this.results.get(`${containerId}/startup`) !== true) {
        worker.timer = setTimeout(() => void tick(), period);
        return;
      }
      const began = performance.now();
      const r = await runProbe(probe, { runtime: this.runtime, containerId, container, podIP });
      if (worker.stopped) return;
      this.metrics.probed(pod, container.name, kind, r.ok ? "successful" : "failed", (performance.now() - began) / 1000);
      const before = this.results.get(resultKey);
      if (r.ok) {
        failures = 0;
        successes++;
        if (successes >= successThreshold && before !== true) {
          this.results.set(resultKey, true);
          this.events.onResult(pod);
        }
      } else {
        successes = 0;
        failures++;
        this.events.unhealthy(pod, container.name, kind, r.output);
        if (failures >= failureThreshold && before !== false) {
          this.results.set(resultKey, false);
          this.events.onResult(pod);
        }
      }
      // Startup stops probing once it passed; liveness and readiness go on.
      if (kind === "startup" && this.results.get(resultKey) === true) return;
      // A failed liveness probe leads to a restart; the new container gets a new worker.
      if (kind !== "readiness" && this.results.get(resultKey) === false) return;
      worker.timer = setTimeout(() => void tick(), period);
    };
    const initial = Math.max(0, startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
    worker.timer = setTimeout(() => void tick(), initial);
    this.workers.set(key, worker);
  }
}
