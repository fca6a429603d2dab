import { badRequest } from "./errors.js";

/** A parsed label selector requirement, in upstream's full syntax. */
export interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!";
  values: string[];
}

export type Labels = Record<string, string> | undefined;

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. An empty string selects everything. */
export function parseLabelSelector(text: string): Requirement[] {
  const out: Requirement[] = [];
  let i = 0;
  const s = text.trim();
  const skip = () => { while (s[i] === " ") i++; };
  const word = () => {
    skip();
    const m = /^[A-Za-z0-9_.\-/]*/.exec(s.slice(i))![0];
    i += m.length;
    return m;
  };
  while (i < s.length) {
    skip();
    if (s[i] === "!") {
      i++;
      const key = word();
      if (!key) throw badRequest(`unable to parse requirement: found '${s}', expected: identifier`);
      out.push({ key, op: "!", values: [] });
    } else {
      const key = word();
      if (!key) throw badRequest(`unable to parse requirement: invalid label selector "${text}"`);
      skip();
      const rest = s.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^(==|=|!=)/.exec(rest))) {
        i += m[0].length;
        const value = word();
        out.push({ key, op: m[0] === "!=" ? "!=" : "=", values: [value] });
      } else if ((m = /^(in|notin)\s*\(/.exec(rest))) {
        i += m[0].length;
        const close = s.indexOf(")", i);
        if (close < 0) throw badRequest(`unable to parse requirement: found '${s}', expected: ')'`);
        const values = s.slice(i, close).split(",").map((v) => v.trim()).filter((v) => v !== "");
        i = close + 1;
        out.push({ key, op: m[1] as "in" | "notin", values });
      } else {
        out.push({ key, op: "exists", values: [] });
      }
    }
    skip();
    if (i < s.length) {
      if (s[i] !== ",") throw badRequest(`unable to parse requirement: found '${s[i]}', expected: ',' in "${text}"`);
      i++;
    }
  }
  return out;
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
