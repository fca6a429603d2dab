import { type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, podRequests, success, unresolvable, unschedulable } from "../framework.js";

/**
 * NodeResourcesFit: requests against allocatable (cpu, memory, pod count),
 * with upstream's reasons; scores LeastAllocated by default, MostAllocated on request.
 */
export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = "NodeResourcesFit";
  readonly weight = 1;

  constructor(private readonly strategy: "LeastAllocated" | "MostAllocated" = "LeastAllocated") {}

  filter(pod: Json, node: NodeInfo) {
    const req = podRequests(pod);
    const alloc = node.allocatable();
    const reasons: string[] = [];
    if (node.requested.pods + 1 > alloc.pods) reasons.push("Too many pods");
    if (req.milliCPU > 0 && node.requested.milliCPU + req.milliCPU > alloc.milliCPU) reasons.push("Insufficient cpu");
    if (req.memory > 0 && node.requested.memory + req.memory > alloc.memory) reasons.push("Insufficient memory");
    if (!reasons.length) return success;
    // A request beyond what the node has at all: evicting pods there cannot help (upstream's Unresolvable).
    const never = req.milliCPU > alloc.milliCPU || req.memory > alloc.memory;
    return never ? unresolvable(...reasons) : unschedulable(...reasons);
  }

  score(pod: Json, node: NodeInfo): number {
    const req = podRequests(pod);
    const alloc = node.allocatable();
    const frac = (used: number, cap: number) => (cap > 0 ? Math.min(1, used / cap) : 1);
    const cpu = frac(node.requested.milliCPU + req.milliCPU, alloc.milliCPU);
    const mem = frac(node.requested.memory + req.memory, alloc.memory);
    const used = (cpu + mem) / 2;
    return Math.round((this.strategy === "LeastAllocated" ? 1 - used : used) * 100);
  }
}

/** NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory use stay close. */
export class BalancedAllocation implements ScorePlugin {
  readonly name = "NodeResourcesBalancedAllocation";
  readonly weight = 1;
  score(pod: Json, node: NodeInfo): number {
    const req = podRequests(pod);
    const alloc = node.allocatable();
    const cpu = alloc.milliCPU ? (node.requested.milliCPU + req.milliCPU) / alloc.milliCPU : 1;
    const mem = alloc.memory ? (node.requested.memory + req.memory) / alloc.memory : 1;
    return Math.round((1 - Math.abs(cpu - mem) / 2) * 100);
  }
}
