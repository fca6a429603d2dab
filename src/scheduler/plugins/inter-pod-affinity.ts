import type { Node, Pod, PodAffinityTerm } from "kubernetes-types/core/v1.js";
import { labelSelectorRequirements } from "../../api/selectors.js";
import type { Kube } from "../../client/index.js";
import { type Selector, type WeightedTerm, selectorKey, selectorMatches } from "../topology-counts.js";
import { type CycleState, type FilterPlugin, MAX_NODE_SCORE, type NodeInfo, type ScorePlugin, type Snapshot, success, unschedulable } from "../framework.js";

export const AffinityReason = "node(s) didn't match pod affinity rules";
export const AntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
export const ExistingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules";

/** What an existing pod's required affinity term adds to the score of a pod it matches (upstream's default hardPodAffinityWeight). */
export const HARD_POD_AFFINITY_WEIGHT = 1;

type Term = WeightedTerm;

const termsCache = new WeakMap<object, Map<string, Term[]>>();

function cached(pod: Kube<Pod>, key: string, make: () => Term[]): Term[] {
  let perPod = termsCache.get(pod);
  if (!perPod) termsCache.set(pod, (perPod = new Map()));
  let terms = perPod.get(key);
  if (!terms) perPod.set(key, (terms = make()));
  return terms;
}

/** A pod's affinity terms of one kind, parsed once per pod object. */
export function termsOf(pod: Kube<Pod>, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): Term[] {
  return cached(pod, `${kind}/${mode}`, () => parseTerms(pod, kind, mode));
}

/**
 * The terms of an existing pod that score an incoming pod they match: its
 * required affinity (HARD_POD_AFFINITY_WEIGHT), its preferred affinity (the
 * term's weight) and its preferred anti-affinity (minus the weight).
 */
export function scoringTermsOf(pod: Kube<Pod>): Term[] {
  return cached(pod, "scoring", () => [
    ...termsOf(pod, "podAffinity", "required").map((t) => ({ ...t, weight: HARD_POD_AFFINITY_WEIGHT })),
    ...termsOf(pod, "podAffinity", "preferred"),
    ...termsOf(pod, "podAntiAffinity", "preferred").map((t) => ({ ...t, weight: -t.weight })),
  ]);
}

function parseTerms(pod: Kube<Pod>, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): Term[] {
  const a = pod.spec?.affinity?.[kind];
  const raw: (PodAffinityTerm & { weight?: number })[] = mode === "required"
    ? a?.requiredDuringSchedulingIgnoredDuringExecution ?? []
    : (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({ ...w.podAffinityTerm, weight: w.weight }));
  return raw.map((t) => {
    const s: Selector = {
      reqs: labelSelectorRequirements(t.labelSelector ?? {}),
      namespaces: namespacesOf(pod, t),
      topologyKey: t.topologyKey,
    };
    return { ...s, key: selectorKey(s), weight: t.weight ?? 1 };
  });
}

/**
 * The namespaces a term covers: an empty namespaceSelector means all of them;
 * otherwise those listed, or the pod's own. (A namespaceSelector with labels
 * would need the namespaces' labels, which the scheduler does not watch; it is
 * read as the listed namespaces.)
 */
function namespacesOf(pod: Kube<Pod>, term: PodAffinityTerm): Set<string> | undefined {
  const ns = term.namespaceSelector;
  if (ns && !Object.keys(ns.matchLabels ?? {}).length && !(ns.matchExpressions ?? []).length) return undefined;
  return new Set<string>(term.namespaces?.length ? term.namespaces : [pod.metadata.namespace!]);
}

const domain = (node: Kube<Node>, key: string): string | undefined => node.metadata?.labels?.[key];

interface State {
  reqTerms: Term[];
  antiTerms: Term[];
  /** per required affinity term: topology value -> matching pods there */
  affinity: Map<string, number>[];
  anti: Map<string, number>[];
  /** existing pods' anti-affinity terms that match this pod: the domains they forbid */
  forbidden: { topologyKey: string; counts: Map<string, number> }[];
}

/** topology key -> domain -> score every node of that domain gets */
type TopologyScore = Map<string, Map<string, number>>;

/**
 * InterPodAffinity: required pod affinity and anti-affinity over topology
 * domains, and existing pods' anti-affinity against the incoming pod, as
 * filters. As a score, upstream's: each domain earns the weight of every
 * preferred term of the pod for each matching pod there (negative for
 * anti-affinity), and the weight of every term of the pods there that match
 * the pod (required affinity counting HARD_POD_AFFINITY_WEIGHT); the sums are
 * scaled between the lowest and the highest node to 0..100. The counts per
 * domain come from the scheduler's incremental TopologyCounts.
 */
export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = "InterPodAffinity";
  readonly weight = 2;

  preFilter(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState): void {
    const req = termsOf(pod, "podAffinity", "required");
    const anti = termsOf(pod, "podAntiAffinity", "required");
    const counts = (t: Term) => snapshot.topology.counts(t, t.key);
    const forbidden: State["forbidden"] = [];
    for (const g of snapshot.topology.antiAffinityGroups()) if (selectorMatches(g.term, pod)) forbidden.push({ topologyKey: g.term.topologyKey, counts: g.counts });
    state.set(this.name, { reqTerms: req, antiTerms: anti, affinity: req.map(counts), anti: anti.map(counts), forbidden } satisfies State);
  }

  filter(pod: Kube<Pod>, node: NodeInfo, state: CycleState) {
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

  /** Skipped when no term on either side applies anywhere (every node would score the same). */
  preScore(pod: Kube<Pod>, snapshot: Snapshot, state: CycleState): boolean {
    const scores: TopologyScore = new Map();
    let any = false;
    const add = (topologyKey: string, counts: Map<string, number>, weight: number) => {
      if (!counts.size) return;
      any = true;
      let byDomain = scores.get(topologyKey);
      if (!byDomain) scores.set(topologyKey, (byDomain = new Map()));
      for (const [d, n] of counts) byDomain.set(d, (byDomain.get(d) ?? 0) + n * weight);
    };
    for (const t of termsOf(pod, "podAffinity", "preferred")) add(t.topologyKey, snapshot.topology.counts(t, t.key), t.weight);
    for (const t of termsOf(pod, "podAntiAffinity", "preferred")) add(t.topologyKey, snapshot.topology.counts(t, t.key), -t.weight);
    for (const g of snapshot.topology.scoringGroups()) if (selectorMatches(g.term, pod)) add(g.term.topologyKey, g.counts, g.weight);
    if (!any) return false;
    state.set(`${this.name}/score`, scores);
    return true;
  }

  score(_pod: Kube<Pod>, node: NodeInfo, state: CycleState): number {
    const scores = state.get(`${this.name}/score`) as TopologyScore | undefined;
    let total = 0;
    for (const [key, byDomain] of scores ?? []) {
      const d = domain(node.node, key);
      if (d !== undefined) total += byDomain.get(d) ?? 0;
    }
    return total;
  }

  /** The lowest node gets 0, the highest 100; all equal, all 0. */
  normalizeScore(scores: number[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) { if (s < min) min = s; if (s > max) max = s; }
    const range = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = range > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / range)) : 0;
  }
}
