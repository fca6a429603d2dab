import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, MAX_NODE_SCORE, type NodeInfo, type ScorePlugin, nonZeroRequests, podRequests, success, unresolvable, unschedulable } from "../framework.js";

export type ScoringStrategy = "LeastAllocated" | "MostAllocated";

/** The share of a resource left free, 0..100 (upstream's leastRequestedScore, integer arithmetic). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** The share of a resource in use, 0..100; requests beyond capacity count as full (upstream's mostRequestedScore). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.floor((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

/**
 * NodeResourcesFit: requests against allocatable (cpu, memory, pod count,
 * ephemeral-storage and extended resources), with upstream's reasons. It scores cpu and memory with weight 1 each, by
 * LeastAllocated (the default: the emptier node wins) or MostAllocated,
 * counting a container without a request at upstream's defaults (100m cpu,
 * 200Mi memory) on both sides, so pods without requests spread too.
 */
export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = "NodeResourcesFit";
  readonly weight = 1;

  constructor(private readonly strategy: ScoringStrategy = "LeastAllocated") {}

  filter(pod: Kube<Pod>, node: NodeInfo) {
    const req = podRequests(pod);
    const alloc = node.allocatable();
    const reasons: string[] = [];
    // A request beyond what the node has at all: evicting pods there cannot help (upstream's Unresolvable).
    let never = false;
    if (node.requested.pods + 1 > alloc.pods) reasons.push("Too many pods");
    if (req.milliCPU > 0 && node.requested.milliCPU + req.milliCPU > alloc.milliCPU) { reasons.push("Insufficient cpu"); never ||= req.milliCPU > alloc.milliCPU; }
    if (req.memory > 0 && node.requested.memory + req.memory > alloc.memory) { reasons.push("Insufficient memory"); never ||= req.memory > alloc.memory; }
    // ephemeral-storage, hugepages and extended resources: a node that does not list one in allocatable has none.
    for (const [name, amount] of req.scalar) {
      if (amount <= 0) continue;
      const have = alloc.scalar.get(name) ?? 0;
      if ((node.requestedScalar.get(name) ?? 0) + amount <= have) continue;
      reasons.push(`Insufficient ${name}`);
      never ||= amount > have;
    }
    if (!reasons.length) return success;
    return never ? unresolvable(...reasons) : unschedulable(...reasons);
  }

  score(pod: Kube<Pod>, node: NodeInfo): number {
    const req = nonZeroRequests(pod);
    const alloc = node.allocatable();
    const resourceScore = this.strategy === "LeastAllocated" ? leastRequestedScore : mostRequestedScore;
    let total = 0;
    let weights = 0;
    // A resource the node has none of is left out, as upstream does.
    if (alloc.milliCPU > 0) { total += resourceScore(node.nonZeroRequested.milliCPU + req.milliCPU, alloc.milliCPU); weights++; }
    if (alloc.memory > 0) { total += resourceScore(node.nonZeroRequested.memory + req.memory, alloc.memory); weights++; }
    return weights ? Math.floor(total / weights) : 0;
  }
}
