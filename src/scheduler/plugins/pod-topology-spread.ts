import { labelSelectorRequirements } from "../../api/selectors.js";
import { type Selector, selectorMatches } from "../topology-counts.js";
import { type CycleState, type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, type Snapshot, success, unresolvable, unschedulable } from "../framework.js";
import { NodeAffinity } from "./node-affinity.js";

export const SpreadReason = "node(s) didn't match pod topology spread constraints";
export const MissingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Counted { c: Json; counts: Map<string, number>; min: number; max: number; selfMatch: boolean }

/** Whether node affinity narrows the nodes whose pods count (upstream's nodeAffinityPolicy Honor). */
const narrowsNodes = (pod: Json) => Object.keys(pod.spec?.nodeSelector ?? {}).length > 0
  || Boolean(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution);

/**
 * PodTopologySpread: the number of matching pods per topology domain may
 * differ from the least-populated eligible domain by at most maxSkew (a
 * filter under DoNotSchedule, a score under ScheduleAnyway); minDomains
 * counts missing domains as empty. Without node affinity every node is
 * eligible and the counts come from the scheduler's incremental ones.
 */
export class PodTopologySpread implements FilterPlugin, ScorePlugin {
  readonly name = "PodTopologySpread";
  readonly weight = 2;
  private readonly affinity = new NodeAffinity();

  private count(pod: Json, snapshot: Snapshot, which: "DoNotSchedule" | "ScheduleAnyway"): Counted[] {
    const constraints: Json[] = (pod.spec?.topologySpreadConstraints ?? []).filter((c: Json) => (c.whenUnsatisfiable ?? "DoNotSchedule") === which);
    if (!constraints.length) return [];
    const eligible = narrowsNodes(pod) ? snapshot.nodes().filter((n) => this.affinity.filter(pod, n).code === "Success") : undefined;
    return constraints.map((c) => {
      const selector: Selector = { reqs: labelSelectorRequirements(c.labelSelector ?? {}), namespaces: new Set([pod.metadata.namespace]), topologyKey: c.topologyKey };
      const { counts, domains } = eligible ? countAmong(eligible, selector) : { counts: snapshot.topology.counts(selector), domains: snapshot.topology.domains(c.topologyKey).size };
      // counts holds only domains with matching pods: if some domain has none, the minimum is 0.
      let min = 0;
      let max = 0;
      for (const v of counts.values()) max = Math.max(max, v);
      if (counts.size >= domains && counts.size) min = Math.min(...counts.values());
      if (domains < (c.minDomains ?? 1)) min = 0;
      return { c, counts, min, max, selfMatch: selectorMatches(selector, pod) };
    });
  }

  preFilter(pod: Json, snapshot: Snapshot, state: CycleState): void {
    state.set(this.name, this.count(pod, snapshot, "DoNotSchedule"));
  }

  filter(_pod: Json, node: NodeInfo, state: CycleState) {
    for (const { c, counts, min, selfMatch } of (state.get(this.name) as Counted[] | undefined) ?? []) {
      const d = node.node.metadata?.labels?.[c.topologyKey];
      if (d === undefined) return unresolvable(MissingLabelReason);
      if ((counts.get(d) ?? 0) + (selfMatch ? 1 : 0) - min > (c.maxSkew ?? 1)) return unschedulable(SpreadReason);
    }
    return success;
  }

  preScore(pod: Json, snapshot: Snapshot, state: CycleState): void {
    state.set(`${this.name}/score`, this.count(pod, snapshot, "ScheduleAnyway"));
  }

  score(_pod: Json, node: NodeInfo, state: CycleState): number {
    const counted = (state.get(`${this.name}/score`) as Counted[] | undefined) ?? [];
    if (!counted.length) return 0;
    let score = 0;
    for (const { c, counts, min, max: most } of counted) {
      const d = node.node.metadata?.labels?.[c.topologyKey];
      const max = Math.max(min + 1, most);
      score += d === undefined ? 0 : 100 * (1 - ((counts.get(d) ?? 0) - min) / (max - min || 1));
    }
    return Math.round(score / counted.length);
  }
}


/** The slow path: matching pods per domain over the given nodes only. */
function countAmong(nodes: NodeInfo[], selector: Selector): { counts: Map<string, number>; domains: number } {
  const counts = new Map<string, number>();
  const domains = new Set<string>();
  for (const n of nodes) {
    const d = n.node.metadata?.labels?.[selector.topologyKey];
    if (d === undefined) continue;
    domains.add(d);
    for (const p of n.pods.values()) if (selectorMatches(selector, p)) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  return { counts, domains: domains.size };
}
