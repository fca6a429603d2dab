import { labelSelectorRequirements, matchesLabels, type Requirement } from "../../api/selectors.js";
import { type CycleState, type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, type Snapshot, success, unschedulable } from "../framework.js";

export const AffinityReason = "node(s) didn't match pod affinity rules";
export const AntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
export const ExistingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules";

interface Term { reqs: Requirement[]; namespaces: Set<string>; topologyKey: string }

const termsCache = new WeakMap<object, Map<string, (Term & { weight: number })[]>>();

/** A pod's affinity terms of one kind, parsed once per pod object. */
function termsOf(pod: Json, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): (Term & { weight: number })[] {
  let perPod = termsCache.get(pod);
  if (!perPod) termsCache.set(pod, (perPod = new Map()));
  const key = `${kind}/${mode}`;
  let terms = perPod.get(key);
  if (!terms) perPod.set(key, (terms = parseTerms(pod, kind, mode)));
  return terms;
}

function parseTerms(pod: Json, kind: "podAffinity" | "podAntiAffinity", mode: "required" | "preferred"): (Term & { weight: number })[] {
  const a = pod.spec?.affinity?.[kind];
  const raw: Json[] = mode === "required"
    ? a?.requiredDuringSchedulingIgnoredDuringExecution ?? []
    : (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Json) => ({ ...w.podAffinityTerm, weight: w.weight }));
  return raw.map((t) => ({
    reqs: labelSelectorRequirements(t.labelSelector ?? {}),
    namespaces: new Set<string>(t.namespaces?.length ? t.namespaces : [pod.metadata.namespace]),
    topologyKey: t.topologyKey,
    weight: t.weight ?? 1,
  }));
}

const termMatches = (t: Term, p: Json) => t.namespaces.has(p.metadata.namespace) && matchesLabels(t.reqs, p.metadata?.labels);
const domain = (node: Json, key: string): string | undefined => node.metadata?.labels?.[key];

interface State {
  /** per required affinity term: topology value -> matching pods there */
  affinity: Map<string, number>[];
  affinityAnyMatch: boolean[];
  anti: Map<string, number>[];
  /** "key=value" domains that existing pods' required anti-affinity forbids to this pod */
  forbidden: Set<string>;
  /** the topology keys that appear in forbidden */
  forbiddenKeys: string[];
  preferred: { domains: Map<string, number>; key: string }[];
}

/**
 * InterPodAffinity: required pod affinity and anti-affinity over topology
 * domains, existing pods' anti-affinity against the incoming pod, and
 * preferred terms as scores. Counts are gathered once per pod in preFilter.
 */
export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = "InterPodAffinity";
  readonly weight = 2;

  preFilter(pod: Json, snapshot: Snapshot, state: CycleState): void {
    const req = termsOf(pod, "podAffinity", "required");
    const anti = termsOf(pod, "podAntiAffinity", "required");
    const preferred = [...termsOf(pod, "podAffinity", "preferred").map((t) => ({ ...t, sign: 1 })), ...termsOf(pod, "podAntiAffinity", "preferred").map((t) => ({ ...t, sign: -1 }))];
    const s: State = {
      affinity: req.map(() => new Map()), affinityAnyMatch: req.map(() => false), anti: anti.map(() => new Map()),
      forbidden: new Set(), forbiddenKeys: [], preferred: preferred.map((t) => ({ domains: new Map(), key: t.topologyKey })),
    };
    // Without terms of its own, only existing pods' anti-affinity concerns this pod.
    const own = req.length + anti.length + preferred.length > 0;
    for (const info of snapshot.nodes()) {
      for (const p of own ? info.pods.values() : info.podsWithAntiAffinity.values()) {
        req.forEach((t, i) => {
          if (!termMatches(t, p)) return;
          s.affinityAnyMatch[i] = true;
          const d = domain(info.node, t.topologyKey);
          if (d !== undefined) s.affinity[i]!.set(d, (s.affinity[i]!.get(d) ?? 0) + 1);
        });
        anti.forEach((t, i) => {
          const d = domain(info.node, t.topologyKey);
          if (d !== undefined && termMatches(t, p)) s.anti[i]!.set(d, (s.anti[i]!.get(d) ?? 0) + 1);
        });
        preferred.forEach((t, i) => {
          const d = domain(info.node, t.topologyKey);
          if (d !== undefined && termMatches(t, p)) s.preferred[i]!.domains.set(d, (s.preferred[i]!.domains.get(d) ?? 0) + t.sign * t.weight);
        });
        if (!info.podsWithAntiAffinity.has(`${p.metadata.namespace}/${p.metadata.name}`)) continue;
        for (const t of termsOf(p, "podAntiAffinity", "required")) {
          const d = domain(info.node, t.topologyKey);
          if (d !== undefined && termMatches(t, pod)) s.forbidden.add(`${t.topologyKey}=${d}`);
        }
      }
    }
    s.forbiddenKeys = [...new Set([...s.forbidden].map((f) => f.slice(0, f.indexOf("="))))];
    state.set(this.name, s);
    state.set(`${this.name}/terms`, { req, anti });
  }

  filter(pod: Json, node: NodeInfo, state: CycleState) {
    const s = state.get(this.name) as State | undefined;
    if (!s) return success;
    const { req, anti } = state.get(`${this.name}/terms`) as { req: Term[]; anti: Term[] };
    for (const [i, t] of req.entries()) {
      const d = domain(node.node, t.topologyKey);
      if (d === undefined) return unschedulable(AffinityReason);
      if ((s.affinity[i]!.get(d) ?? 0) > 0) continue;
      // The first pod of a group that selects itself may go anywhere.
      if (!s.affinityAnyMatch[i] && termMatches(t, pod)) continue;
      return unschedulable(AffinityReason);
    }
    for (const [i, t] of anti.entries()) {
      const d = domain(node.node, t.topologyKey);
      if (d !== undefined && (s.anti[i]!.get(d) ?? 0) > 0) return unschedulable(AntiAffinityReason);
    }
    for (const key of s.forbiddenKeys) {
      const d = domain(node.node, key);
      if (d !== undefined && s.forbidden.has(`${key}=${d}`)) return unschedulable(ExistingAntiAffinityReason);
    }
    return success;
  }

  score(_pod: Json, node: NodeInfo, state: CycleState): number {
    const s = state.get(this.name) as State | undefined;
    if (!s?.preferred.length) return 0;
    let total = 0;
    let range = 0;
    for (const p of s.preferred) {
      const values = [...p.domains.values()];
      range += Math.max(1, ...values.map(Math.abs));
      const d = domain(node.node, p.key);
      total += d === undefined ? 0 : p.domains.get(d) ?? 0;
    }
    return Math.round(50 + (50 * total) / range);
  }
}
