/**
 * The scheduling framework's extension points, as upstream's: filter plugins
 * say whether a pod fits a node, score plugins rank the nodes that fit. Both
 * return values, never throw, for the normal "does not fit" outcome.
 */
import type { Container, Node, Pod } from "kubernetes-types/core/v1.js";
import { milliCPU, parseQuantity } from "../api/quantity.js";
import type { Kube } from "../client/index.js";
import type { ImageStates } from "./image-states.js";
import type { TopologyCounts } from "./topology-counts.js";

export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Error";

export interface Status { code: Code; reasons: string[] }

export const success: Status = { code: "Success", reasons: [] };
export const unschedulable = (...reasons: string[]): Status => ({ code: "Unschedulable", reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: "UnschedulableAndUnresolvable", reasons });

/** Told of every pod placed on or taken off a node (the scheduler's incremental counts). */
export interface PodObserver {
  podAdded(info: NodeInfo, pod: Kube<Pod>): void;
  podRemoved(info: NodeInfo, pod: Kube<Pod>): void;
}

/**
 * A node's resources other than cpu, memory and the pod count, by name:
 * ephemeral-storage, hugepages and extended resources (example.com/gpu), in
 * their own units (upstream's EphemeralStorage and ScalarResources).
 */
export type ScalarResources = ReadonlyMap<string, number>;

/** The resources that NodeInfo and the requests keep apart from the scalar ones. */
const NAMED = new Set(["cpu", "memory", "pods"]);

export interface Allocatable { milliCPU: number; memory: number; pods: number; scalar: ScalarResources }

/** What the scheduler knows of one node: the node and the pods it has (bound or assumed). */
export class NodeInfo {
  readonly pods = new Map<string, Kube<Pod>>();
  /** The pods here with required anti-affinity terms, which every incoming pod must respect. */
  readonly podsWithAntiAffinity = new Map<string, Kube<Pod>>();
  requested = { milliCPU: 0, memory: 0, pods: 0 };
  /** The pods' requests of the scalar resources (ephemeral-storage, extended resources), by name. */
  readonly requestedScalar = new Map<string, number>();
  /** Requests as scoring counts them: a container without a cpu or memory request counts upstream's defaults. */
  nonZeroRequested = { milliCPU: 0, memory: 0 };

  private cachedAllocatable?: { of: Kube<Node>; value: Allocatable };

  constructor(public node: Kube<Node>, private readonly observer?: PodObserver) {}

  get name(): string { return this.node.metadata.name!; }

  /**
   * Allocatable resources, parsed once per version of the node object. Only
   * allocatable counts, as upstream: a resource advertised in capacity alone
   * (an extended resource the kubelet has not yet made allocatable) is none.
   */
  allocatable(): Allocatable {
    if (this.cachedAllocatable?.of === this.node) return this.cachedAllocatable.value;
    const a = this.node.status?.allocatable ?? this.node.status?.capacity ?? {};
    const scalar = new Map<string, number>();
    for (const [name, q] of Object.entries(a)) if (!NAMED.has(name)) scalar.set(name, parseQuantity(q) || 0);
    const value = { milliCPU: milliCPU(a.cpu ?? "0"), memory: parseQuantity(a.memory ?? "0"), pods: Number(a.pods ?? 110), scalar };
    this.cachedAllocatable = { of: this.node, value };
    return value;
  }

  addPod(key: string, pod: Kube<Pod>): void {
    if (this.pods.has(key)) this.removePod(key);
    this.pods.set(key, pod);
    if (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) this.podsWithAntiAffinity.set(key, pod);
    this.count(pod, 1);
    this.observer?.podAdded(this, pod);
  }

  removePod(key: string): void {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    this.podsWithAntiAffinity.delete(key);
    this.count(pod, -1);
    this.observer?.podRemoved(this, pod);
  }

  /** Adds (sign 1) or takes away (sign -1) the pod's requests. */
  private count(pod: Kube<Pod>, sign: 1 | -1): void {
    const r = podRequests(pod);
    this.requested = { milliCPU: this.requested.milliCPU + sign * r.milliCPU, memory: this.requested.memory + sign * r.memory, pods: this.requested.pods + sign };
    for (const [name, amount] of r.scalar) {
      const left = (this.requestedScalar.get(name) ?? 0) + sign * amount;
      if (left) this.requestedScalar.set(name, left);
      else this.requestedScalar.delete(name);
    }
    const nz = nonZeroRequests(pod);
    this.nonZeroRequested = { milliCPU: this.nonZeroRequested.milliCPU + sign * nz.milliCPU, memory: this.nonZeroRequested.memory + sign * nz.memory };
  }
}

interface ResourceAmounts { milliCPU: number; memory: number; scalar: ScalarResources }

/** What scoring assumes of a container without a cpu or memory request (upstream's DefaultMilliCPURequest, DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const requestsCache = new WeakMap<object, ResourceAmounts>();
const nonZeroCache = new WeakMap<object, ResourceAmounts>();

/**
 * A pod's effective requests: the sum of its containers, or its largest init
 * container if larger, plus its overhead; per resource, cpu and memory as
 * much as every other one it requests (ephemeral-storage, extended resources).
 */
export function podRequests(pod: Kube<Pod>): ResourceAmounts {
  let r = requestsCache.get(pod);
  if (!r) requestsCache.set(pod, (r = effectiveRequests(pod, 0, 0)));
  return r;
}

/**
 * The requests that scoring uses (upstream's NonZeroRequested): as podRequests,
 * with a container that names no cpu or memory request counted at 100m and
 * 200Mi, so that pods without requests still look like load on a node.
 */
export function nonZeroRequests(pod: Kube<Pod>): ResourceAmounts {
  let r = nonZeroCache.get(pod);
  if (!r) nonZeroCache.set(pod, (r = effectiveRequests(pod, DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST)));
  return r;
}

function effectiveRequests(pod: Kube<Pod>, missingCPU: number, missingMemory: number): ResourceAmounts {
  const cpuOf = (c: Container) => (c.resources?.requests?.cpu === undefined ? missingCPU : milliCPU(c.resources.requests.cpu));
  const memoryOf = (c: Container) => (c.resources?.requests?.memory === undefined ? missingMemory : parseQuantity(c.resources.requests.memory));
  const sum = { milliCPU: 0, memory: 0 };
  const scalar = new Map<string, number>();
  const scalarsOf = (list: Record<string, string> | undefined, combine: (had: number, q: number) => number) => {
    for (const [name, q] of Object.entries(list ?? {})) {
      if (!NAMED.has(name)) scalar.set(name, combine(scalar.get(name) ?? 0, parseQuantity(q) || 0));
    }
  };
  for (const c of pod.spec?.containers ?? []) {
    sum.milliCPU += cpuOf(c);
    sum.memory += memoryOf(c);
    scalarsOf(c.resources?.requests, (had, q) => had + q);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    sum.milliCPU = Math.max(sum.milliCPU, cpuOf(c));
    sum.memory = Math.max(sum.memory, memoryOf(c));
    scalarsOf(c.resources?.requests, Math.max);
  }
  const overhead = pod.spec?.overhead;
  if (overhead?.cpu !== undefined) sum.milliCPU += milliCPU(overhead.cpu);
  if (overhead?.memory !== undefined) sum.memory += parseQuantity(overhead.memory);
  scalarsOf(overhead, (had, q) => had + q);
  return { ...sum, scalar };
}

/** What plugins may read of the whole cluster during one scheduling cycle. */
export interface Snapshot {
  nodes(): NodeInfo[];
  /** Matching pods per topology domain, kept incrementally. */
  topology: TopologyCounts;
  /** How many nodes have each image (ImageLocality's spread). */
  images?: ImageStates;
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
  preFilter?(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState): Status | void;
  filter(pod: Kube<Pod>, node: NodeInfo, state: CycleState): Status;
}

/** The best score a plugin gives a node, once normalised (upstream's MaxNodeScore). */
export const MAX_NODE_SCORE = 100;

/**
 * Score: how good is the node for the pod. Only nodes that passed every
 * filter are scored, and only when more than one did. preScore runs once per
 * pod with those nodes; returning false skips the plugin for this pod
 * (upstream's Skip status: it adds nothing to any node). score gives each node
 * a raw score; normalizeScore, when present, rewrites the raw scores of all the
 * nodes at once into 0..MAX_NODE_SCORE, and without it the raw scores must
 * already lie there. The scheduler multiplies each by the plugin's weight.
 */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  preScore?(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState, nodes: NodeInfo[]): boolean | void;
  score(pod: Kube<Pod>, node: NodeInfo, state: CycleState): number;
  /** scores[i] belongs to nodes[i]. */
  normalizeScore?(scores: number[], nodes: NodeInfo[], state: CycleState): void;
}

/**
 * Upstream's DefaultNormalizeScore: scales scores so the highest becomes
 * MAX_NODE_SCORE (integer division, as upstream), or with reverse the highest
 * becomes 0; all zero stays zero, or becomes MAX_NODE_SCORE with reverse.
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    const s = max === 0 ? 0 : Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
