/**
 * The scheduling framework's extension points, as upstream's: filter plugins
 * say whether a pod fits a node, score plugins rank the nodes that fit. Both
 * return values, never throw, for the normal "does not fit" outcome.
 */
import { milliCPU, parseQuantity } from "../api/quantity.js";
import type { TopologyCounts } from "./topology-counts.js";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- pods and nodes are free-form JSON here

export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Error";

export interface Status { code: Code; reasons: string[] }

export const success: Status = { code: "Success", reasons: [] };
export const unschedulable = (...reasons: string[]): Status => ({ code: "Unschedulable", reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: "UnschedulableAndUnresolvable", reasons });

/** Told of every pod placed on or taken off a node (the scheduler's incremental counts). */
export interface PodObserver {
  podAdded(info: NodeInfo, pod: Json): void;
  podRemoved(info: NodeInfo, pod: Json): void;
}

/** What the scheduler knows of one node: the node and the pods it has (bound or assumed). */
export class NodeInfo {
  readonly pods = new Map<string, Json>();
  /** The pods here with required anti-affinity terms, which every incoming pod must respect. */
  readonly podsWithAntiAffinity = new Map<string, Json>();
  requested = { milliCPU: 0, memory: 0, pods: 0 };

  private cachedAllocatable?: { of: Json; value: { milliCPU: number; memory: number; pods: number } };

  constructor(public node: Json, private readonly observer?: PodObserver) {}

  get name(): string { return this.node.metadata.name; }

  /** Allocatable resources, parsed once per version of the node object. */
  allocatable(): { milliCPU: number; memory: number; pods: number } {
    if (this.cachedAllocatable?.of === this.node) return this.cachedAllocatable.value;
    const a = this.node.status?.allocatable ?? this.node.status?.capacity ?? {};
    const value = { milliCPU: milliCPU(a.cpu ?? "0"), memory: parseQuantity(a.memory ?? "0"), pods: Number(a.pods ?? 110) };
    this.cachedAllocatable = { of: this.node, value };
    return value;
  }

  addPod(key: string, pod: Json): void {
    if (this.pods.has(key)) this.removePod(key);
    this.pods.set(key, pod);
    if (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) this.podsWithAntiAffinity.set(key, pod);
    const r = podRequests(pod);
    this.requested = { milliCPU: this.requested.milliCPU + r.milliCPU, memory: this.requested.memory + r.memory, pods: this.requested.pods + 1 };
    this.observer?.podAdded(this, pod);
  }

  removePod(key: string): void {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    this.podsWithAntiAffinity.delete(key);
    const r = podRequests(pod);
    this.requested = { milliCPU: this.requested.milliCPU - r.milliCPU, memory: this.requested.memory - r.memory, pods: this.requested.pods - 1 };
    this.observer?.podRemoved(this, pod);
  }
}

const requestsCache = new WeakMap<object, { milliCPU: number; memory: number }>();

/** A pod's effective requests: the sum of its containers, or its largest init container if larger. */
export function podRequests(pod: Json): { milliCPU: number; memory: number } {
  const cached = requestsCache.get(pod);
  if (cached) return cached;
  const sum = { milliCPU: 0, memory: 0 };
  for (const c of pod.spec?.containers ?? []) {
    sum.milliCPU += milliCPU(c.resources?.requests?.cpu ?? "0");
    sum.memory += parseQuantity(c.resources?.requests?.memory ?? "0");
  }
  for (const c of pod.spec?.initContainers ?? []) {
    sum.milliCPU = Math.max(sum.milliCPU, milliCPU(c.resources?.requests?.cpu ?? "0"));
    sum.memory = Math.max(sum.memory, parseQuantity(c.resources?.requests?.memory ?? "0"));
  }
  requestsCache.set(pod, sum);
  return sum;
}

/** What plugins may read of the whole cluster during one scheduling cycle. */
export interface Snapshot {
  nodes(): NodeInfo[];
  /** Matching pods per topology domain, kept incrementally. */
  topology: TopologyCounts;
}

/** Data a plugin computes once per pod in preFilter and reads in filter and score. */
export type CycleState = Map<string, unknown>;

/**
 * Filter: may the pod run on the node? preFilter, when present, runs once per
 * pod before the nodes are filtered, to precompute what filter needs.
 */
export interface FilterPlugin {
  readonly name: string;
  /** A status other than success rejects the pod for every node at once. */
  preFilter?(pod: Json, snapshot: Snapshot, state: CycleState): Status | void;
  filter(pod: Json, node: NodeInfo, state: CycleState): Status;
}

/** Score: how good is the node for the pod, 0 to 100. Only nodes that passed every filter are scored. */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  preScore?(pod: Json, snapshot: Snapshot, state: CycleState): void;
  score(pod: Json, node: NodeInfo, state: CycleState): number;
}
