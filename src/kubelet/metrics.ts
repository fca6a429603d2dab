/**
 * The kubelet's Prometheus families with upstream's names and labels
 * (pkg/kubelet/metrics), served on its HTTPS port at /metrics: running pods
 * and containers as the last relist saw them, pod start and pod worker
 * durations, and every runtime (CRI) call by upstream's operation_type.
 */
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from "../metrics/index.js";
import type { ContainerRuntime } from "./kuberuntime/runtime.js";

/** CRI calls by the operation_type upstream's instrumented runtime service gives them. */
export const RUNTIME_OPERATIONS: Record<string, string> = {
  version: "version", runPodSandbox: "run_podsandbox", stopPodSandbox: "stop_podsandbox", removePodSandbox: "remove_podsandbox",
  podSandboxStatus: "podsandbox_status", listPodSandbox: "list_podsandbox", createContainer: "create_container",
  startContainer: "start_container", stopContainer: "stop_container", removeContainer: "remove_container",
  listContainers: "list_containers", containerStatus: "container_status", execSync: "exec_sync", exec: "exec",
  execStream: "exec", attach: "attach", portForward: "port_forward", containerStats: "container_stats",
  listImages: "list_images", imageStatus: "image_status", pullImage: "pull_image",
};

/** Containers by upstream's container_state label (CRI's states, lower-case, without the prefix). */
export interface RunningCounts { pods: number; containers: Map<string, number> }

export class KubeletMetrics {
  private readonly operations: Counter;
  private readonly operationDuration: Histogram;
  private readonly operationErrors: Counter;
  private readonly podStart: Histogram;
  private readonly podWorker: Histogram;

  constructor(readonly registry: Registry, nodeName: string, counts: () => RunningCounts) {
    const registers = [registry];
    new Gauge({ name: "kubelet_node_name", help: "The node's name. The count is always 1.", labelNames: ["node"], registers }).set({ node: nodeName }, 1);
    new Gauge({
      name: "kubelet_running_pods", help: "Number of pods that have a running pod sandbox", registers,
      collect() { this.set(counts().pods); },
    });
    new Gauge({
      name: "kubelet_running_containers", help: "Number of containers currently running", labelNames: ["container_state"], registers,
      collect() {
        this.reset();
        for (const state of ["running", "exited", "created", "unknown"]) this.set({ container_state: state }, 0);
        for (const [state, n] of counts().containers) this.set({ container_state: state }, n);
      },
    });
    this.podStart = new Histogram({
      name: "kubelet_pod_start_duration_seconds", help: "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run", registers,
      buckets: [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600],
    });
    this.podWorker = new Histogram({ name: "kubelet_pod_worker_duration_seconds", help: "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync", labelNames: ["operation_type"], buckets: exponentialBuckets(0.005, 2.5, 10), registers });
    this.operations = new Counter({ name: "kubelet_runtime_operations_total", help: "Cumulative number of runtime operations by operation type.", labelNames: ["operation_type"], registers });
    this.operationDuration = new Histogram({ name: "kubelet_runtime_operations_duration_seconds", help: "Duration in seconds of runtime operations. Broken down by operation type.", labelNames: ["operation_type"], buckets: exponentialBuckets(0.005, 2.5, 14), registers });
    this.operationErrors = new Counter({ name: "kubelet_runtime_operations_errors_total", help: "Cumulative number of runtime operation errors by operation type.", labelNames: ["operation_type"], registers });
  }

  podStarted(seconds: number): void {
    this.podStart.observe(seconds);
  }

  podSynced(operation: "create" | "update" | "sync", seconds: number): void {
    this.podWorker.observe({ operation_type: operation }, seconds);
  }

  /** The runtime, with every CRI call counted and timed; anything else of it passes through untouched. */
  instrument(runtime: ContainerRuntime): ContainerRuntime {
    return new Proxy(runtime, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        const operation = typeof prop === "string" ? RUNTIME_OPERATIONS[prop] : undefined;
        if (!operation || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const labels = { operation_type: operation };
          const started = performance.now();
          const observe = (failed: boolean) => {
            this.operations.inc(labels);
            this.operationDuration.observe(labels, (performance.now() - started) / 1000);
            if (failed) this.operationErrors.inc(labels);
          };
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            observe(true);
            throw err;
          }
          if (result instanceof Promise) return result.then((r) => { observe(false); return r; }, (err) => { observe(true); throw err; });
          observe(false);
          return result;
        };
      },
    });
  }
}
