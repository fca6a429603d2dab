/**
 * DefaultPreemption, upstream's PostFilter: when a pod fits nowhere, find a
 * node where evicting pods of lower priority would let it fit, evicting as
 * few and as unimportant pods as possible. Victims are chosen by removing
 * every lower-priority pod from the node, then taking back ("reprieving")
 * the most important ones while the pod still fits, those whose eviction a
 * PodDisruptionBudget forbids first; the node whose victims break the
 * fewest budgets wins.
 */
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import { labelSelectorRequirements, matchesLabels } from "../api/selectors.js";
import type { Kube } from "../client/index.js";
import { type CycleState, type FilterPlugin, type NodeInfo, type Snapshot, type Status } from "./framework.js";

export const NoVictimsReason = "No preemption victims found for incoming pod";
export const NotHelpfulReason = "Preemption is not helpful for scheduling";

/** Upstream evaluates at least this many candidate nodes (or 10% of the cluster), then stops. */
const MIN_CANDIDATES = 100;

export const priorityOf = (p: Kube<Pod>): number => p.spec?.priority ?? 0;

export interface Candidate { node: NodeInfo; victims: Kube<Pod>[]; pdbViolations: number }

export type PreemptionOutcome =
  | { candidate: Candidate }
  | { candidate?: undefined; message: string };

/** The pods nominated to a node that the pod must leave room for (those as important as it), by key. */
export type NominatedPods = (pod: Kube<Pod>, info: NodeInfo) => [string, Kube<Pod>][];

export class DefaultPreemption {
  /**
   * budgets: the cluster's PodDisruptionBudgets. nominated: as the
   * scheduler's filters see them, so that preemption neither takes the room
   * an earlier preemptor is waiting for nor evicts for a pod that could not
   * have it (upstream's RunFilterPluginsWithNominatedPods).
   */
  constructor(
    private readonly filters: FilterPlugin[],
    private readonly budgets: () => Kube<PodDisruptionBudget>[] = () => [],
    private readonly nominated: NominatedPods = () => [],
  ) {}

  /**
   * Looks for the best node to preempt on. statuses: each node's filter
   * status from the failed cycle (nodes absent from it passed).
   */
  preempt(pod: Kube<Pod>, snapshot: Snapshot, statuses: Map<string, Status>): PreemptionOutcome {
    if (pod.spec?.preemptionPolicy === "Never") return { message: "not eligible due to preemptionPolicy=Never." };
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) {
      const info = snapshot.nodes().find((n) => n.name === nominated);
      // Victims already on their way out there: wait for them rather than preempt more.
      if (info && [...info.pods.values()].some((p) => p.metadata.deletionTimestamp && priorityOf(p) < priorityOf(pod))) {
        return { message: "not eligible due to a terminating pod on the nominated node." };
      }
    }
    const nodes = snapshot.nodes();
    const reasons = new Map<string, number>();
    const count = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
    const wanted = Math.max(MIN_CANDIDATES, Math.floor(nodes.length / 10));
    const candidates: Candidate[] = [];
    const offset = nodes.length ? Math.floor(Math.random() * nodes.length) : 0;
    for (let i = 0; i < nodes.length && candidates.length < wanted; i++) {
      const info = nodes[(offset + i) % nodes.length]!;
      const status = statuses.get(info.name);
      if (status?.code === "UnschedulableAndUnresolvable") { count(NotHelpfulReason); continue; }
      const chosen = this.victimsOn(pod, info, snapshot);
      // No victims needed means the pod fits there already: not a preemption (upstream counts it an error).
      if (chosen?.victims.length) candidates.push({ node: info, ...chosen });
      else count(NoVictimsReason);
    }
    const best = pickCandidate(candidates);
    if (best) return { candidate: best };
    const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
    return { message: `0/${nodes.length} nodes are available: ${parts.join(", ")}.` };
  }

  /** The fewest, least important pods to evict from the node for the pod to fit; undefined if none would do. */
  private victimsOn(pod: Kube<Pod>, info: NodeInfo, snapshot: Snapshot): { victims: Kube<Pod>[]; pdbViolations: number } | undefined {
    const lower = [...info.pods.entries()].filter(([, p]) => priorityOf(p) < priorityOf(pod) && !p.metadata.deletionTimestamp);
    if (!lower.length) return undefined;
    // Pods nominated here that matter as much as this one count as placed while victims are chosen.
    const ahead = this.nominated(pod, info).filter(([key]) => !info.pods.has(key));
    for (const [key, p] of ahead) info.addPod(key, p);
    for (const [key] of lower) info.removePod(key);
    const victims: Kube<Pod>[] = [];
    let pdbViolations = 0;
    try {
      if (!this.fits(pod, info, snapshot)) return undefined;
      // Most important first: the ones worth keeping are tried back first, those a budget protects before the rest.
      lower.sort(([, a], [, b]) => priorityOf(b) - priorityOf(a) || startOf(a) - startOf(b));
      const violating = violatingBudgets(lower.map(([, p]) => p), this.budgets());
      const ordered = [...lower.filter(([, p]) => violating.has(p)), ...lower.filter(([, p]) => !violating.has(p))];
      for (const [key, p] of ordered) {
        info.addPod(key, p);
        if (this.fits(pod, info, snapshot)) continue;
        info.removePod(key);
        victims.push(p);
        if (violating.has(p)) pdbViolations++;
      }
      return { victims, pdbViolations };
    } finally {
      for (const [key, p] of lower) if (!info.pods.has(key)) info.addPod(key, p);
      for (const [key] of ahead) info.removePod(key);
    }
  }

  private fits(pod: Kube<Pod>, info: NodeInfo, snapshot: Snapshot): boolean {
    const state: CycleState = new Map();
    for (const f of this.filters) f.preFilter?.(pod, snapshot, state);
    return this.filters.every((f) => f.filter(pod, info, state).code === "Success");
  }
}

const startOf = (p: Kube<Pod>): number => Date.parse(p.status?.startTime ?? p.metadata?.creationTimestamp ?? "") || 0;

/**
 * The pods whose eviction, together with the ones before them, would take a
 * PodDisruptionBudget below zero disruptions allowed (upstream's
 * filterPodsWithPDBViolation).
 */
function violatingBudgets(pods: Kube<Pod>[], budgets: Kube<PodDisruptionBudget>[]): Set<Kube<Pod>> {
  const violating = new Set<Kube<Pod>>();
  const allowed = budgets.map((b) => b.status?.disruptionsAllowed ?? 0);
  for (const p of pods) {
    budgets.forEach((b, i) => {
      if (b.metadata.namespace !== p.metadata.namespace || !b.spec?.selector) return;
      if (!matchesLabels(labelSelectorRequirements(b.spec.selector), p.metadata.labels)) return;
      if (b.status?.disruptedPods?.[p.metadata.name!]) return;
      allowed[i]--;
      if (allowed[i] < 0) violating.add(p);
    });
  }
  return violating;
}

/**
 * Upstream's order: the fewest PodDisruptionBudgets broken, then the lowest
 * highest-priority victim, the smallest sum of victims' priorities, the
 * fewest victims, and the latest start of the most important victim.
 */
export function pickCandidate(candidates: Candidate[]): Candidate | undefined {
  const rank = (c: Candidate) => {
    const top = Math.max(...c.victims.map(priorityOf));
    const important = c.victims.filter((v) => priorityOf(v) === top);
    return {
      top,
      sum: c.victims.reduce((n, v) => n + priorityOf(v) + 2 ** 31, 0),
      count: c.victims.length,
      start: Math.min(...important.map(startOf)),
    };
  };
  let best: { c: Candidate; r: ReturnType<typeof rank> } | undefined;
  for (const c of candidates) {
    const r = rank(c);
    if (!best) { best = { c, r }; continue; }
    const b = best.r;
    const better = c.pdbViolations !== best.c.pdbViolations ? c.pdbViolations < best.c.pdbViolations
      : r.top !== b.top ? r.top < b.top : r.sum !== b.sum ? r.sum < b.sum : r.count !== b.count ? r.count < b.count : r.start > b.start;
    if (better) best = { c, r };
  }
  return best?.c;
}
