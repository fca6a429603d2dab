/**
 * The simple JSONPaths a CRD names fields by (`.spec.replicas`,
 * `.status.conditions[0].type`), for printer columns and scale.
 */

/** The value at path, or undefined; an empty path is the object itself. */
export function valueAt(obj: unknown, path: string | undefined): unknown {
  let cur: unknown = obj;
  for (const part of (path ?? "").replace(/^\./, "").split(".")) {
    if (!part) continue;
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[m[1]!];
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  return cur;
}

type Step =
  | { kind: "field"; name: string; recursive: boolean }
  | { kind: "wildcard"; recursive: boolean }
  | { kind: "index"; start?: number; end?: number; step?: number; single: boolean }
  | { kind: "filter"; path: string; op?: string; literal?: unknown };

/** The text inside the brackets that open at `from`, honouring quotes and parentheses. */
function bracketed(path: string, from: number): { inner: string; next: number } {
  let depth = 0;
  let quote = "";
  for (let i = from + 1; i < path.length; i++) {
    const c = path[i]!;
    if (quote) { if (c === quote) quote = ""; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "]" && depth === 0) return { inner: path.slice(from + 1, i).trim(), next: i + 1 };
  }
  throw new Error(`unterminated array notation in ${path}`);
}

function literal(text: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === "true" || t === "false") return t === "true";
  const n = Number(t);
  return Number.isNaN(n) ? t : n;
}

function parse(path: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < path.length) {
    let recursive = false;
    if (path.startsWith("..", i)) { recursive = true; i += 2; } else if (path[i] === ".") i++;
    if (path[i] === "[") {
      const { inner, next } = bracketed(path, i);
      i = next;
      const filter = /^\?\((.*)\)$/.exec(inner);
      const cmp = filter && /^(@[^=!<>\s]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(filter[1]!.trim());
      if (filter) steps.push(cmp ? { kind: "filter", path: cmp[1]!.slice(1), op: cmp[2]!, literal: literal(cmp[3]!) } : { kind: "filter", path: filter[1]!.trim().slice(1) });
      else if (inner === "*") steps.push({ kind: "wildcard", recursive });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: "field", name: inner.slice(1, -1), recursive });
      else if (inner.includes(":")) {
        const [a, b, c] = inner.split(":").map((x) => (x.trim() === "" ? undefined : Number(x)));
        steps.push({ kind: "index", start: a, end: b, step: c, single: false });
      } else steps.push({ kind: "index", start: Number(inner), single: true });
      continue;
    }
    const m = /^[^.[]+/.exec(path.slice(i));
    if (!m) continue;
    i += m[0].length;
    steps.push(m[0] === "*" ? { kind: "wildcard", recursive } : { kind: "field", name: m[0], recursive });
  }
  return steps;
}

/** Every value below v, v first, in document order: what `..` searches. */
function descendants(v: unknown): unknown[] {
  const out = [v];
  if (v !== null && typeof v === "object") for (const c of Object.values(v as object)) out.push(...descendants(c));
  return out;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === "==") return a === b || String(a) === String(b);
  if (op === "!=") return !(a === b || String(a) === String(b));
  if (typeof a !== "number" || typeof b !== "number") return false;
  return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
}

function apply(step: Step, v: unknown): unknown[] {
  const base = step.kind === "field" || step.kind === "wildcard" ? (step.recursive ? descendants(v) : [v]) : [v];
  const out: unknown[] = [];
  for (const cur of base) {
    if (cur === null || typeof cur !== "object") continue;
    if (step.kind === "field") { if (!Array.isArray(cur) && step.name in cur) out.push((cur as Record<string, unknown>)[step.name]); continue; }
    if (step.kind === "wildcard") { out.push(...Object.values(cur as object)); continue; }
    if (!Array.isArray(cur)) continue;
    if (step.kind === "index") {
      const len = cur.length;
      const norm = (n: number) => (n < 0 ? n + len : n);
      if (step.single) { const k = norm(step.start!); if (k >= 0 && k < len) out.push(cur[k]); continue; }
      const from = Math.max(0, norm(step.start ?? 0));
      const to = Math.min(len, norm(step.end ?? len));
      for (let k = from; k < to; k += step.step ?? 1) out.push(cur[k]);
      continue;
    }
    for (const item of cur) {
      const found = findResults(item, step.path);
      if (step.op === undefined ? found.length > 0 : found.some((f) => compare(f, step.op!, step.literal))) out.push(item);
    }
  }
  return out;
}

/**
 * The values a kubectl JSONPath (without its braces) selects, as client-go's
 * jsonpath finds them: fields, `[n]`, slices, `*`, `..` and filters such as
 * `.status.conditions[?(@.type=='Ready')].status`, which operators' printer
 * columns use for their Ready condition.
 */
export function findResults(obj: unknown, path: string): unknown[] {
  let cur: unknown[] = [obj];
  for (const step of parse(path.trim())) cur = cur.flatMap((v) => apply(step, v));
  return cur;
}
