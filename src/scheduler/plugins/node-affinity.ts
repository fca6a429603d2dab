import { type FilterPlugin, type Json, type NodeInfo, type ScorePlugin, success, unresolvable } from "../framework.js";

export const NodeAffinityReason = "node(s) didn't match Pod's node affinity/selector";

function matchExpression(labels: Record<string, string>, e: Json): boolean {
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
export function matchTerm(node: Json, term: Json): boolean {
  const labels = node.metadata?.labels ?? {};
  const byLabel = (term.matchExpressions ?? []).every((e: Json) => matchExpression(labels, e));
  const byField = (term.matchFields ?? []).every((e: Json) => matchExpression({ "metadata.name": node.metadata.name }, e));
  return byLabel && byField && ((term.matchExpressions ?? []).length + (term.matchFields ?? []).length > 0);
}

/** NodeAffinity: nodeSelector and required node affinity filter; preferred terms score. */
export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = "NodeAffinity";
  readonly weight = 2;

  filter(pod: Json, node: NodeInfo) {
    const labels = node.node.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return unresolvable(NodeAffinityReason);
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required && !(required.nodeSelectorTerms ?? []).some((t: Json) => matchTerm(node.node, t))) return unresolvable(NodeAffinityReason);
    return success;
  }

  score(pod: Json, node: NodeInfo): number {
    const preferred: Json[] = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (!preferred.length) return 0;
    const total = preferred.reduce((n, p) => n + (p.weight ?? 0), 0);
    const got = preferred.filter((p) => matchTerm(node.node, p.preference ?? {})).reduce((n, p) => n + (p.weight ?? 0), 0);
    return total ? Math.round((got / total) * 100) : 0;
  }
}
