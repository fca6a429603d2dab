import { labelSelectorRequirements, matchesLabels } from "../../api/selectors.js";
import { type CycleState, type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, type Snapshot, success, unresolvable, unschedulable } from "../framework.js";
import { NodeAffinity } from "./node-affinity.js";

export const SpreadReason = "node(s) didn't match pod topology spread constraints";
export const MissingLabelReason = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Counted { c: Json; counts: Map<string, number>; min: number; selfMatch: boolean }

/**
 * PodTopologySpread: the number of matching pods per topology domain may
 * differ from the least-populated eligible domain by at most maxSkew (a
 * filter under DoNotSchedule, a score under ScheduleAnyway); minDomains
 * counts missing domains as empty.
 */
export class PodTopologySpread implements FilterPlugin, ScorePlugin {
  readonly name = "PodTopologySpread";
  readonly weight = 2;
  private readonly affinity = new NodeAffinity();

  private count(pod: Json, snapshot: Snapshot, which: "DoNotSchedule" | "ScheduleAnyway"): Counted[] {
    const constraints: Json[] = (pod.spec?.topologySpreadConstraints ?? []).filter((c: Json) => (c.whenUnsatisfiable ?? "DoNotSchedule") === which);
    if (!constraints.length) return [];
    const eligible = snapshot.nodes().filter((n) => this.affinity.filter(pod, n).code === "Success");
    return constraints.map((c) => {
      const reqs = labelSelectorRequirements(c.labelSelector ?? {});
      const counts = new Map<string, number>();
      for (const n of eligible) {
        const d = n.node.metadata?.labels?.[c.topologyKey];
        if (d === undefined) continue;
        let k = counts.get(d) ?? 0;
        for (const p of n.pods.values()) if (p.metadata.namespace === pod.metadata.namespace && matchesLabels(reqs, p.metadata?.labels)) k++;
        counts.set(d, k);
      }
      const values = [...counts.values()];
      const min = values.length < (c.minDomains ?? 1) ? 0 : values.length ? Math.min(...values) : 0;
      return { c, counts, min, selfMatch: matchesLabels(reqs, pod.metadata?.labels) };
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
    for (const { c, counts, min } of counted) {
      const d = node.node.metadata?.labels?.[c.topologyKey];
      const max = Math.max(min + 1, ...counts.values());
      score += d === undefined ? 0 : 100 * (1 - ((counts.get(d) ?? 0) - min) / (max - min || 1));
    }
    return Math.round(score / counted.length);
  }
}

