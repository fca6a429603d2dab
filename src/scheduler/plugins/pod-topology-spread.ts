import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type Selector, selectorMatches } from "../topology-counts.js";
import { type CycleState, type FilterPlugin, MAX_NODE_SCORE, type NodeInfo, type ScorePlugin, type Snapshot, success, unresolvable, unschedulable } from "../framework.js";
import { type WorkloadListers, defaultSelector } from "./default-spread-selector.js";
import { type Constraint, HOSTNAME_LABEL, defaultConstraints, includesNode, narrowsNodes, podConstraints } from "./spread-constraints.js";

export const SpreadReason = "node(s) didn't match pod topology spread constraints";
export const MissingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Counted { c: Constraint; counts: Map<string, number>; min: number; selfMatch: boolean }

interface ScoreState {
  constraints: Constraint[];
  /** feasible nodes without every topology key of the pod's own constraints: they score 0 */
  ignored: Set<string>;
  /** per constraint: domain (for the hostname key, the node's hostname) -> matching pods */
  counts: Map<string, number>[];
  /** per constraint: log(domains + 2), so that a key with few domains is not drowned by one with many */
  weights: number[];
}

const NO_PODS: Map<string, number> = new Map();

/**
 * PodTopologySpread: the number of matching pods per topology domain may
 * differ from the least-populated eligible domain by at most maxSkew (a
 * filter under DoNotSchedule); minDomains counts missing domains as empty.
 * As a score (ScheduleAnyway constraints, or for a pod without constraints
 * the system defaults over the pods of its Services and workload) upstream's:
 * each node earns, per constraint, the matching pods of its domain times
 * log(domains + 2) plus maxSkew - 1, and the sums are reversed so the emptiest
 * node gets 100. Counts come from the scheduler's incremental ones unless a
 * node inclusion policy leaves nodes out.
 */
export class PodTopologySpread implements FilterPlugin, ScorePlugin {
  readonly name = "PodTopologySpread";
  readonly weight = 2;

  /** listers: where the default constraints' selector comes from; without them a pod without constraints is not scored. */
  constructor(private readonly listers?: WorkloadListers) {}

  preFilter(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState): void {
    const counted = podConstraints(pod, "DoNotSchedule").map((c): Counted => {
      const { counts, domains } = filterCounts(pod, c, snapshot);
      // counts holds only domains with matching pods: if some domain has none, the minimum is 0.
      let min = 0;
      if (counts.size >= domains && counts.size) min = Math.min(...counts.values());
      if (domains < c.minDomains) min = 0;
      return { c, counts, min, selfMatch: c.selector ? selectorMatches(c.selector, pod) : false };
    });
    state.set(this.name, counted);
  }

  filter(_pod: Kube<Pod>, node: NodeInfo, state: CycleState) {
    for (const { c, counts, min, selfMatch } of (state.get(this.name) as Counted[] | undefined) ?? []) {
      const d = node.node.metadata?.labels?.[c.topologyKey];
      if (d === undefined) return unresolvable(MissingLabelReason);
      if ((counts.get(d) ?? 0) + (selfMatch ? 1 : 0) - min > c.maxSkew) return unschedulable(SpreadReason);
    }
    return success;
  }

  preScore(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState, nodes: NodeInfo[]): boolean {
    const own = (pod.spec?.topologySpreadConstraints ?? []).length > 0;
    const constraints = own ? podConstraints(pod, "ScheduleAnyway") : this.listers ? defaultConstraints(pod, defaultSelector(pod, this.listers)) : [];
    if (!constraints.length) return false;
    // Only a pod's own constraints need every key on a node; the defaults let nodes without a zone still spread by hostname.
    const ignored = new Set<string>();
    const domains = constraints.map(() => new Set<string>());
    for (const n of nodes) {
      const labels = n.node.metadata?.labels ?? {};
      if (own && constraints.some((c) => labels[c.topologyKey] === undefined)) { ignored.add(n.name); continue; }
      constraints.forEach((c, i) => { if (c.topologyKey !== HOSTNAME_LABEL) domains[i]!.add(labels[c.topologyKey] ?? ""); });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME_LABEL ? nodes.length - ignored.size : domains[i]!.size) + 2));
    const counts = constraints.map((c, i) => scoreCounts(pod, c, snapshot, domains[i]!, own ? constraints : undefined));
    state.set(`${this.name}/score`, { constraints, ignored, counts, weights } satisfies ScoreState);
    return true;
  }

  score(_pod: Kube<Pod>, node: NodeInfo, state: CycleState): number {
    const s = state.get(`${this.name}/score`) as ScoreState | undefined;
    if (!s || s.ignored.has(node.name)) return 0;
    const labels = node.node.metadata?.labels ?? {};
    let score = 0;
    s.constraints.forEach((c, i) => {
      const d = labels[c.topologyKey];
      if (d !== undefined) score += (s.counts[i]!.get(d) ?? 0) * s.weights[i]! + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  /** Reversed between the lowest and highest node: the emptiest gets 100; nodes left out get 0. */
  normalizeScore(scores: number[], nodes: NodeInfo[], state: CycleState): void {
    const s = state.get(`${this.name}/score`) as ScoreState | undefined;
    if (!s) return;
    let min = Infinity;
    let max = 0;
    nodes.forEach((n, i) => {
      if (s.ignored.has(n.name)) return;
      min = Math.min(min, scores[i]!);
      max = Math.max(max, scores[i]!);
    });
    nodes.forEach((n, i) => {
      if (s.ignored.has(n.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    });
  }
}

/** Matching pods per domain for the filter, and how many domains the eligible nodes span. */
function filterCounts(pod: Kube<Pod>, c: Constraint, snapshot: Snapshot): { counts: Map<string, number>; domains: number } {
  if (narrowsNodes(pod, c)) return countAmong(snapshot.nodes().filter((n) => includesNode(pod, c, n)), c.topologyKey, c.selector);
  return { counts: c.selector ? snapshot.topology.counts(c.selector) : NO_PODS, domains: snapshot.topology.domains(c.topologyKey).size };
}

/**
 * Matching pods per domain for the score. The hostname key is counted per
 * node, whatever the inclusion policies (the node itself was found
 * feasible); other keys over the nodes the policies include, in the domains
 * of the feasible nodes. requireAll: the pod's own constraints, whose keys a
 * node must all have for its pods to count.
 */
function scoreCounts(pod: Kube<Pod>, c: Constraint, snapshot: Snapshot, domains: Set<string>, requireAll?: Constraint[]): Map<string, number> {
  if (!c.selector) return NO_PODS;
  if (c.topologyKey === HOSTNAME_LABEL || !narrowsNodes(pod, c)) return snapshot.topology.counts(c.selector);
  // Some nodes are left out: count node by node, each node's pods from the per-hostname counts where it has a hostname.
  const perNode = snapshot.topology.counts({ ...c.selector, topologyKey: HOSTNAME_LABEL });
  const counts = new Map<string, number>();
  for (const n of snapshot.nodes()) {
    const labels = n.node.metadata?.labels ?? {};
    const d = labels[c.topologyKey];
    if (d === undefined || !domains.has(d) || !includesNode(pod, c, n)) continue;
    if (requireAll?.some((r) => labels[r.topologyKey] === undefined)) continue;
    const host = labels[HOSTNAME_LABEL];
    const here = host !== undefined ? perNode.get(host) ?? 0 : countOn(n, c.selector);
    if (here) counts.set(d, (counts.get(d) ?? 0) + here);
  }
  return counts;
}

const countOn = (n: NodeInfo, selector: Selector): number => {
  let count = 0;
  for (const p of n.pods.values()) if (selectorMatches(selector, p)) count++;
  return count;
};

/** The slow path: matching pods per domain over the given nodes only. */
function countAmong(nodes: NodeInfo[], topologyKey: string, selector?: Selector): { counts: Map<string, number>; domains: number } {
  const counts = new Map<string, number>();
  const domains = new Set<string>();
  for (const n of nodes) {
    const d = n.node.metadata?.labels?.[topologyKey];
    if (d === undefined) continue;
    domains.add(d);
    const here = selector ? countOn(n, selector) : 0;
    if (here) counts.set(d, (counts.get(d) ?? 0) + here);
  }
  return { counts, domains: domains.size };
}
