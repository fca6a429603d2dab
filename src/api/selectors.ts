import { badRequest } from "./errors.js";
import { parseLabelSelectorText, type ParsedRequirement } from "./label-selector-parser.js";

/** A parsed label selector requirement, in upstream's full syntax. */
export type Requirement = ParsedRequirement;

export type Labels = Record<string, string> | undefined;

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`. An empty string selects everything. */
export function parseLabelSelector(text: string): Requirement[] {
  return parseLabelSelectorText(text);
}

export function matchesLabels(reqs: Requirement[], labels: Labels): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case "=": if (!has || v !== r.values[0]) return false; break;
      case "!=": if (has && v === r.values[0]) return false; break;
      case "in": if (!has || !r.values.includes(v!)) return false; break;
      case "notin": if (has && r.values.includes(v!)) return false; break;
      case "exists": if (!has) return false; break;
      case "!": if (has) return false; break;
      case ">": case "<": {
        // Upstream compares as 64-bit integers; a value that is not one never matches.
        if (!has || !/^[+-]?\d+$/.test(v!)) return false;
        const diff = BigInt(v!) - BigInt(r.values[0]!);
        if (r.op === ">" ? diff <= 0n : diff >= 0n) return false;
        break;
      }
    }
  }
  return true;
}

/** A `metav1.LabelSelector` turned into requirements (matchLabels and matchExpressions). */
export function labelSelectorRequirements(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): Requirement[] {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: "=", values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" } as const)[e.operator as "In"];
    if (op) reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

/** `app=web,tier=front` as kubectl and upstream's status.selector print it. */
export function formatLabelSelector(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === "In") parts.push(`${e.key} in (${(e.values ?? []).join(",")})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${(e.values ?? []).join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

export interface FieldRequirement { field: string; op: "=" | "!="; value: string }

export function parseFieldSelector(text: string): FieldRequirement[] {
  if (!text.trim()) return [];
  return text.split(",").map((part) => {
    const m = /^\s*([^=!]+?)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1]!, op: m[2] === "!=" ? "!=" : "=", value: m[3]! };
  });
}
