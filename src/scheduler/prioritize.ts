/**
 * The scoring half of a scheduling cycle, as upstream's prioritizeNodes and
 * selectHost: every score plugin scores every feasible node, its scores are
 * normalised to 0..100 and multiplied by its weight, the sums rank the nodes,
 * and the best node wins, a tie going to one of the tied at random.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";
import type { CycleState, NodeInfo, ScorePlugin, Snapshot } from "./framework.js";

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes to find before filtering stops (upstream's adaptive
 * percentageOfNodesToScore): every node below 100 nodes, else 50% less 1% per
 * 125 nodes, at least 5% and at least 100 nodes.
 */
export function numFeasibleNodesToFind(allNodes: number): number {
  if (allNodes < MIN_FEASIBLE_NODES_TO_FIND) return allNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.floor(allNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((allNodes * percentage) / 100));
}

/** The weighted sum of every plugin's normalised score, per node (same order as nodes). */
export function prioritizeNodes(scorers: ScorePlugin[], pod: Kube<Pod>, snapshot: Snapshot, state: CycleState, nodes: NodeInfo[]): number[] {
  const totals = new Array<number>(nodes.length).fill(0);
  const scores = new Array<number>(nodes.length);
  for (const plugin of scorers) {
    if (plugin.preScore?.(pod, snapshot, state, nodes) === false) continue;
    for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(pod, nodes[i]!, state);
    plugin.normalizeScore?.(scores, nodes, state);
    for (let i = 0; i < nodes.length; i++) totals[i]! += plugin.weight * scores[i]!;
  }
  return totals;
}

/** The node the pod goes to among the feasible ones; a single feasible node is not scored at all, as upstream. */
export function selectHost(scorers: ScorePlugin[], pod: Kube<Pod>, snapshot: Snapshot, state: CycleState, nodes: NodeInfo[], random = Math.random): NodeInfo | undefined {
  if (nodes.length <= 1) return nodes[0];
  const totals = prioritizeNodes(scorers, pod, snapshot, state, nodes);
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    if (totals[i]! > totals[best]!) { best = i; ties = 1; }
    // Reservoir sampling: each of the tied nodes ends up chosen with the same chance.
    else if (totals[i] === totals[best] && random() * ++ties < 1) best = i;
  }
  return nodes[best];
}
