import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, type NodeInfo, type ScorePlugin, defaultNormalizeScore, success, unresolvable } from "../framework.js";

export const NodeAffinityReason = "node(s) didn't match Pod's node affinity/selector";

function matchExpression(labels: Record<string, string | undefined>, e: NodeSelectorRequirement): boolean {
  const v = labels[e.key];
  switch (e.operator) {
    case "In": return v !== undefined && (e.values ?? []).includes(v);
    case "NotIn": return v === undefined || !(e.values ?? []).includes(v);
    case "Exists": return v !== undefined;
    case "DoesNotExist": return v === undefined;
    case "Gt": return v !== undefined && Number(v) > Number(e.values?.[0]);
    case "Lt": return v !== undefined && Number(v) < Number(e.values?.[0]);
    default: return false;
  }
}

/** Whether a node matches one NodeSelectorTerm (also used for PersistentVolumes' node affinity). */
export function matchTerm(node: Kube<Node>, term: NodeSelectorTerm): boolean {
  const labels = node.metadata?.labels ?? {};
  const byLabel = (term.matchExpressions ?? []).every((e) => matchExpression(labels, e));
  const byField = (term.matchFields ?? []).every((e) => matchExpression({ "metadata.name": node.metadata.name }, e));
  return byLabel && byField && ((term.matchExpressions ?? []).length + (term.matchFields ?? []).length > 0);
}

/** NodeAffinity: nodeSelector and required node affinity filter; preferred terms score. */
export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = "NodeAffinity";
  readonly weight = 2;

  filter(pod: Kube<Pod>, node: NodeInfo) {
    const labels = node.node.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return unresolvable(NodeAffinityReason);
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required && !(required.nodeSelectorTerms ?? []).some((t) => matchTerm(node.node, t))) return unresolvable(NodeAffinityReason);
    return success;
  }

  /** Skipped for a pod without preferred terms (every node would score 0). */
  preScore(pod: Kube<Pod>): boolean {
    return preferredTerms(pod).length > 0;
  }

  /** The raw score is the sum of the weights of the preferred terms the node matches. */
  score(pod: Kube<Pod>, node: NodeInfo): number {
    let sum = 0;
    for (const p of preferredTerms(pod)) if (matchTerm(node.node, p.preference ?? {})) sum += p.weight;
    return sum;
  }

  /** The best-matching node gets 100. */
  normalizeScore(scores: number[]): void {
    defaultNormalizeScore(scores, false);
  }
}

/** Preferred terms with a weight (upstream drops those of weight 0). */
const preferredTerms = (pod: Kube<Pod>): PreferredSchedulingTerm[] =>
  (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).filter((p) => p.weight);
