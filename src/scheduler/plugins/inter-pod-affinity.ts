import { labelSelectorRequirements } from "../../api/selectors.js";
import { type Selector, selectorKey, selectorMatches } from "../topology-counts.js";
import { type CycleState, type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, type Snapshot, success, unschedulable } from "../framework.js";

export const AffinityReason = "node(s) didn't match pod affinity rules";
export const AntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
export const ExistingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules";

type Term = Selector & { key: string; weight: number };

const termsCache = new WeakMap<object, Map<string, Term[]>>();

/** A pod's affinity terms of one kind, parsed once per pod object. */
export function termsOf(pod: Json, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): Term[] {
  let perPod = termsCache.get(pod);
  if (!perPod) termsCache.set(pod, (perPod = new Map()));
  const key = `${kind}/${mode}`;
  let terms = perPod.get(key);
  if (!terms) perPod.set(key, (terms = parseTerms(pod, kind, mode)));
  return terms;
}

function parseTerms(pod: Json, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): Term[] {
  const a = pod.spec?.affinity?.[kind];
  const raw: Json[] = mode === "required"
    ? a?.requiredDuringSchedulingIgnoredDuringExecution ?? []
    : (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Json) => ({ ...w.podAffinityTerm, weight: w.weight }));
  return raw.map((t) => {
    const s: Selector = {
      reqs: labelSelectorRequirements(t.labelSelector ?? {}),
      namespaces: new Set<string>(t.namespaces?.length ? t.namespaces : [pod.metadata.namespace]),
      topologyKey: t.topologyKey,
    };
    return { ...s, key: selectorKey(s), weight: t.weight ?? 1 };
  });
}

const domain = (node: Json, key: string): string | undefined => node.metadata?.labels?.[key];

interface State {
  reqTerms: Term[];
  antiTerms: Term[];
  /** per required affinity term: topology value -> matching pods there */
  affinity: Map<string, number>[];
  anti: Map<string, number>[];
  /** existing pods' anti-affinity terms that match this pod: the domains they forbid */
  forbidden: { topologyKey: string; counts: Map<string, number> }[];
  preferred: { domains: Map<string, number>; key: string; factor: number }[];
  /** the score's range: the largest weighted count the preferred terms can reach */
  range: number;
}

/**
 * InterPodAffinity: required pod affinity and anti-affinity over topology
 * domains, existing pods' anti-affinity against the incoming pod, and
 * preferred terms as scores. The counts per domain come from the scheduler's
 * incremental TopologyCounts.
 */
export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = "InterPodAffinity";
  readonly weight = 2;

  preFilter(pod: Json, snapshot: Snapshot, state: CycleState): void {
    const req = termsOf(pod, "podAffinity", "required");
    const anti = termsOf(pod, "podAntiAffinity", "required");
    const preferred = [...termsOf(pod, "podAffinity", "preferred").map((t) => ({ t, factor: t.weight })), ...termsOf(pod, "podAntiAffinity", "preferred").map((t) => ({ t, factor: -t.weight }))];
    const counts = (t: Term) => snapshot.topology.counts(t, t.key);
    const forbidden: State["forbidden"] = [];
    for (const g of snapshot.topology.antiAffinityGroups()) if (selectorMatches(g.term, pod)) forbidden.push({ topologyKey: g.term.topologyKey, counts: g.counts });
    const s: State = {
      reqTerms: req, antiTerms: anti, affinity: req.map(counts), anti: anti.map(counts), forbidden,
      preferred: preferred.map(({ t, factor }) => ({ domains: counts(t), key: t.topologyKey, factor })), range: 0,
    };
    for (const p of s.preferred) {
      let max = 1;
      for (const v of p.domains.values()) max = Math.max(max, v);
      s.range += max * Math.abs(p.factor);
    }
    state.set(this.name, s);
  }

  filter(pod: Json, node: NodeInfo, state: CycleState) {
    const s = state.get(this.name) as State | undefined;
    if (!s) return success;
    for (const [i, t] of s.reqTerms.entries()) {
      const d = domain(node.node, t.topologyKey);
      if (d === undefined) return unschedulable(AffinityReason);
      if ((s.affinity[i]!.get(d) ?? 0) > 0) continue;
      // The first pod of a group that selects itself may go anywhere.
      if (!s.affinity[i]!.size && selectorMatches(t, pod)) continue;
      return unschedulable(AffinityReason);
    }
    for (const [i, t] of s.antiTerms.entries()) {
      const d = domain(node.node, t.topologyKey);
      if (d !== undefined && (s.anti[i]!.get(d) ?? 0) > 0) return unschedulable(AntiAffinityReason);
    }
    for (const f of s.forbidden) {
      const d = domain(node.node, f.topologyKey);
      if (d !== undefined && f.counts.has(d)) return unschedulable(ExistingAntiAffinityReason);
    }
    return success;
  }

  score(_pod: Json, node: NodeInfo, state: CycleState): number {
    const s = state.get(this.name) as State | undefined;
    if (!s?.preferred.length) return 0;
    let total = 0;
    for (const p of s.preferred) {
      const d = domain(node.node, p.key);
      total += d === undefined ? 0 : (p.domains.get(d) ?? 0) * p.factor;
    }
    return Math.round(50 + (50 * total) / s.range);
  }
}
