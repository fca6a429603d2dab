/**
 * Matching pods per topology domain, kept up to date as pods are placed and
 * removed, so that InterPodAffinity and PodTopologySpread do not walk every
 * pod of the cluster for every pod they schedule. A count is set up the first
 * time a selector is asked for (one walk over the pods), then maintained on
 * each change. Existing pods' affinity terms are grouped by term (required
 * anti-affinity for the filter; required affinity and preferred terms, with
 * their weights, for the score), so an incoming pod checks each distinct term
 * once instead of each pod that carries it.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import { matchesLabels, type Requirement } from "../api/selectors.js";
import type { Kube } from "../client/index.js";
import type { NodeInfo } from "./framework.js";

/** Pods matching a label selector in some namespaces, counted per value of a node label. */
export interface Selector {
  reqs: Requirement[];
  /** undefined: every namespace. */
  namespaces?: Set<string>;
  topologyKey: string;
  /** Pods being deleted are not counted (PodTopologySpread's rule; affinity counts them). */
  skipTerminating?: boolean;
}

export interface AntiAffinityGroup {
  term: Selector;
  /** domain -> pods there carrying this term */
  counts: Map<string, number>;
}

/** Existing pods' terms that score an incoming pod they match: weight per pod, negative for anti-affinity. */
export interface ScoringGroup extends AntiAffinityGroup { weight: number }

export type KeyedTerm = Selector & { key: string };
export type WeightedTerm = KeyedTerm & { weight: number };

interface Counter extends Selector { counts: Map<string, number>; lastUsed: number }

/** A selector's identity: equal selectors share one counter. */
export function selectorKey(s: Selector): string {
  const reqs = s.reqs.map((r) => `${r.key} ${r.op} ${[...(r.values ?? [])].sort().join(",")}`).sort().join(";");
  const ns = s.namespaces ? [...s.namespaces].sort().join(",") : "*";
  return `${s.topologyKey}|${ns}|${reqs}${s.skipTerminating ? "|live" : ""}`;
}

export const selectorMatches = (s: Selector, pod: Kube<Pod>): boolean =>
  (!s.skipTerminating || !pod.metadata.deletionTimestamp)
  && (!s.namespaces || s.namespaces.has(pod.metadata.namespace!)) && matchesLabels(s.reqs, pod.metadata?.labels);

/** Counters kept at most; beyond it the least recently used go (they are rebuilt on demand). */
const MAX_COUNTERS = 256;

export class TopologyCounts {
  private readonly counters = new Map<string, Counter>();
  private readonly antiAffinity = new Map<string, AntiAffinityGroup>();
  private readonly scoring = new Map<string, ScoringGroup>();
  /** topology key -> domain -> nodes in it */
  private readonly domainsByKey = new Map<string, Map<string, number>>();
  private uses = 0;

  constructor(
    private readonly nodes: () => Iterable<NodeInfo>,
    /** A pod's required anti-affinity terms. */
    private readonly antiTermsOf: (pod: Kube<Pod>) => KeyedTerm[],
    /** A pod's terms that score incoming pods they match, each with its signed weight. */
    private readonly scoringTermsOf: (pod: Kube<Pod>) => WeightedTerm[] = () => [],
  ) {}

  /** Matching pods per domain (domains without any are absent). */
  counts(s: Selector, key = selectorKey(s)): Map<string, number> {
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= MAX_COUNTERS) this.evict();
      c = { ...s, counts: new Map(), lastUsed: 0 };
      for (const info of this.nodes()) {
        const d = info.node.metadata?.labels?.[s.topologyKey];
        if (d === undefined) continue;
        for (const p of info.pods.values()) if (selectorMatches(c, p)) bump(c.counts, d, 1);
      }
      this.counters.set(key, c);
    }
    c.lastUsed = ++this.uses;
    return c.counts;
  }

  /** Every domain of a topology key, with how many nodes it has. */
  domains(topologyKey: string): Map<string, number> {
    let m = this.domainsByKey.get(topologyKey);
    if (!m) {
      m = new Map();
      for (const info of this.nodes()) {
        const d = info.node.metadata?.labels?.[topologyKey];
        if (d !== undefined) bump(m, d, 1);
      }
      this.domainsByKey.set(topologyKey, m);
    }
    return m;
  }

  /** Existing pods' required anti-affinity, one group per distinct term. */
  antiAffinityGroups(): Iterable<AntiAffinityGroup> {
    return this.antiAffinity.values();
  }

  /** Existing pods' scoring terms, one group per distinct term and weight. */
  scoringGroups(): Iterable<ScoringGroup> {
    return this.scoring.values();
  }

  podAdded(info: NodeInfo, pod: Kube<Pod>): void {
    this.apply(info, pod, 1);
  }

  podRemoved(info: NodeInfo, pod: Kube<Pod>): void {
    this.apply(info, pod, -1);
  }

  /** A node joined or left (its pods are added or removed separately). */
  nodeChanged(info: NodeInfo, delta: 1 | -1): void {
    for (const [key, m] of this.domainsByKey) {
      const d = info.node.metadata?.labels?.[key];
      if (d !== undefined) bump(m, d, delta);
    }
  }

  private apply(info: NodeInfo, pod: Kube<Pod>, delta: 1 | -1): void {
    const labels = info.node.metadata?.labels ?? {};
    for (const c of this.counters.values()) {
      const d = labels[c.topologyKey];
      if (d !== undefined && selectorMatches(c, pod)) bump(c.counts, d, delta);
    }
    for (const t of this.antiTermsOf(pod)) {
      const d = labels[t.topologyKey];
      if (d === undefined) continue;
      let g = this.antiAffinity.get(t.key);
      if (!g) this.antiAffinity.set(t.key, (g = { term: t, counts: new Map() }));
      bump(g.counts, d, delta);
      if (!g.counts.size) this.antiAffinity.delete(t.key);
    }
    for (const t of this.scoringTermsOf(pod)) {
      const d = labels[t.topologyKey];
      if (d === undefined) continue;
      const key = `${t.weight}|${t.key}`;
      let g = this.scoring.get(key);
      if (!g) this.scoring.set(key, (g = { term: t, weight: t.weight, counts: new Map() }));
      bump(g.counts, d, delta);
      if (!g.counts.size) this.scoring.delete(key);
    }
  }

  private evict(): void {
    const byAge = [...this.counters].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key] of byAge.slice(0, byAge.length / 2)) this.counters.delete(key);
  }
}

function bump(m: Map<string, number>, key: string, delta: number): void {
  const n = (m.get(key) ?? 0) + delta;
  if (n > 0) m.set(key, n);
  else m.delete(key);
}
