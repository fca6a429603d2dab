import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { MAX_NODE_SCORE, type NodeInfo, type ScorePlugin, podRequests } from "../framework.js";

/**
 * The balance of a node's resource use: 100 when every fraction (requested
 * over allocatable, at most 1) is the same, less by their standard deviation.
 * Resources the node has none of are left out.
 */
export function balancedResourceScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  for (let i = 0; i < requested.length; i++) if (allocatable[i]! > 0) fractions.push(Math.min(1, requested[i]! / allocatable[i]!));
  let std = 0;
  // Two resources, the usual case: the deviation is half their difference.
  if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
  else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/**
 * NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory use stay
 * close once the pod is there. It counts requests as they are (v1.32's
 * useRequested), not with the defaults NodeResourcesFit assumes.
 */
export class BalancedAllocation implements ScorePlugin {
  readonly name = "NodeResourcesBalancedAllocation";
  readonly weight = 1;

  score(pod: Kube<Pod>, node: NodeInfo): number {
    const req = podRequests(pod);
    const alloc = node.allocatable();
    return balancedResourceScore([node.requested.milliCPU + req.milliCPU, node.requested.memory + req.memory], [alloc.milliCPU, alloc.memory]);
  }
}
