/**
 * The cost of a rule, as upstream bounds it (cel-go's checker/cost.go in
 * spirit, not in every figure): an upper bound from the sizes of the values a
 * rule reads, where a comprehension costs its range's size times its body.
 * With the schema's maxItems/maxLength/maxProperties (or what a request of
 * upstream's maximum size could hold) it is the estimate that refuses a CRD;
 * with the sizes an object actually has, it is the runtime cost charged
 * against the per-call limit and the per-object budget before a rule runs,
 * so that no rule can keep the server busy past the budget.
 */
import type { ASTNode } from "@marcbachmann/cel-js";
import type { Schema } from "./types.js";
import { RE2_MATCHES } from "./library/regex.js";
import { isDyn } from "./types.js";

/** Upstream's per-expression limit (celconfig.PerCallLimit). */
export const PER_CALL_LIMIT = 1_000_000;
/** Upstream's static limit of the estimated cost of one rule (celconfig.StaticEstimatedCostLimit). */
export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;
/** Upstream's static limit of the sum over a CRD's rules, each times how often it can run (StaticEstimatedCRDCostLimit). */
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100 * STATIC_ESTIMATED_COST_LIMIT;
/** Upstream's budget of one object's validation (celconfig.RuntimeCELCostBudget). */
export const RUNTIME_COST_BUDGET = 10_000_000;
/** The largest request body upstream accepts (3 MiB), which bounds any list, map or string left unbounded by the schema. */
export const MAX_REQUEST_SIZE_BYTES = 3 * 1024 * 1024;

/** How large values can be: elements of a list or map, characters of a string, fields of an object. */
export interface SizeBounds {
  size(s: Schema | undefined): number;
}

/** The smallest JSON text of a value of s, which bounds how many fit in a request. */
function minSerializedSize(s: Schema | undefined): number {
  if (!s || isDyn(s)) return 1;
  switch (s.type) {
    case "string": return 2 + (s.minLength ?? 0);
    case "boolean": return 4;
    case "integer": case "number": return 1;
    default: return 2;
  }
}

/** Bounds from the schema alone: what the CRD's estimate uses. */
export const schemaBounds: SizeBounds = {
  size(s) {
    const unbounded = MAX_REQUEST_SIZE_BYTES - 2;
    if (!s || isDyn(s)) return unbounded;
    switch (s.type) {
      case "string": return s.maxLength ?? unbounded;
      case "array": return s.maxItems ?? Math.floor(unbounded / (minSerializedSize(s.items) + 1));
      case "object":
        if (s.properties) return Object.keys(s.properties).length;
        return s.maxProperties ?? Math.floor(unbounded / (minSerializedSize(typeof s.additionalProperties === "object" ? s.additionalProperties : undefined) + 4));
      default: return 1;
    }
  },
};

/** Bounds from the largest value of each schema in one object: what a rule is charged at runtime. */
export class ObservedBounds implements SizeBounds {
  private readonly max = new Map<Schema, number>();
  private dynMax = 0;

  constructor(obj: unknown, schema: Schema) {
    this.observe(obj, schema);
  }

  size(s: Schema | undefined): number {
    if (!s || isDyn(s)) return this.dynMax;
    if (s.type === "object" && s.properties) return Object.keys(s.properties).length;
    return this.max.get(s) ?? 0;
  }

  private note(s: Schema | undefined, n: number) {
    if (!s || isDyn(s)) this.dynMax = Math.max(this.dynMax, n);
    else this.max.set(s, Math.max(this.max.get(s) ?? 0, n));
  }

  private observe(v: unknown, s: Schema | undefined): void {
    const dyn = !s || isDyn(s);
    if (typeof v === "string") this.note(s, v.length);
    else if (Array.isArray(v)) {
      this.note(s, v.length);
      for (const x of v) this.observe(x, dyn ? undefined : (s!.items));
    } else if (v && typeof v === "object") {
      const o = v as { [k: string]: unknown };
      const keys = Object.keys(o);
      this.note(s, keys.length);
      for (const k of keys) {
        this.dynMax = Math.max(this.dynMax, k.length);
        const child = dyn ? undefined : s!.properties ? s!.properties[k] : typeof s!.additionalProperties === "object" ? s!.additionalProperties : undefined;
        // Fields the schema does not declare were pruned, or are preserved as dyn.
        this.observe(o[k], child ?? undefined);
      }
    }
  }
}

interface Est {
  cost: number;
  /** Elements, characters or fields of the value. */
  size: number;
  /** The value's schema when known (a field of self, an element of a list of it). */
  schema?: Schema;
}

const STRING_FUNCS = new Set([RE2_MATCHES, "contains", "startsWith", "endsWith", "matches", "find", "findAll", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split", "substring", "trim", "join", "charAt"]);
const LIST_FUNCS = new Set(["sum", "min", "max", "isSorted", "indexOf", "lastIndexOf"]);
const MACROS = new Set(["all", "exists", "exists_one", "map", "filter"]);
const STRING_TRAVERSAL = 0.1;

function childSchema(s: Schema | undefined, field: string | undefined): Schema | undefined {
  if (!s || isDyn(s)) return undefined;
  if (s.type === "array") return s.items;
  if (s.properties) return field === undefined ? undefined : s.properties[field];
  return typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
}

/** A string's schema for the keys of maps and the fields of objects, which the schema does not bound. */
const KEY: Schema = { type: "string" };

/** The cost bound of an expression whose variables have the given schemas. */
export function estimateCost(ast: ASTNode, vars: Map<string, Schema | undefined>, bounds: SizeBounds): number {
  /** A comprehension's variable: its schema, and at most how large it is (its share of the range). */
  type Scope = Map<string, { schema: Schema | undefined; cap?: number }>;
  const est = (n: ASTNode, scope: Scope): Est => {
    switch (n.op) {
      case "value": {
        const v = n.args;
        return { cost: 0, size: typeof v === "string" ? v.length : v instanceof Uint8Array ? v.length : 1 };
      }
      case "id": {
        const v = scope.get(n.args);
        if (!v) return { cost: 1, size: 1 };
        const size = Math.min(bounds.size(v.schema), v.cap ?? Infinity);
        return { cost: 1, size, schema: v.schema ?? { "x-kubernetes-preserve-unknown-fields": true } };
      }
      case ".": case ".?": {
        const base = est(n.args[0], scope);
        const schema = base.schema ? childSchema(base.schema, n.args[1]) ?? { "x-kubernetes-preserve-unknown-fields": true } : undefined;
        return { cost: base.cost + 1, size: schema ? bounds.size(schema) : base.size, schema };
      }
      case "[]": case "[?]": {
        const base = est(n.args[0], scope);
        const idx = est(n.args[1], scope);
        const key = n.args[1].op === "value" && typeof n.args[1].args === "string" ? n.args[1].args : undefined;
        const schema = base.schema ? childSchema(base.schema, key) ?? { "x-kubernetes-preserve-unknown-fields": true } : undefined;
        return { cost: base.cost + idx.cost + 1, size: schema ? bounds.size(schema) : base.size, schema };
      }
      case "call": {
        const [name, args] = n.args;
        const a = args.map((x) => est(x, scope));
        const sum = a.reduce((t, x) => t + x.cost, 0);
        if (name === "has" || name === "size") return { cost: sum + 1, size: 1 };
        const size = a.reduce((t, x) => t + x.size, 0);
        if (STRING_FUNCS.has(name) && a.length) return { cost: sum + 1 + stringCost(a[0]!.size, a.slice(1)), size };
        return { cost: sum + 1, size: Math.max(1, size) };
      }
      case "rcall": {
        const [name, recvNode, args] = n.args;
        const recv = est(recvNode, scope);
        if (MACROS.has(name) && args[0]?.op === "id") {
          const inner = new Map(scope);
          const s = recv.schema;
          const elem = s && !isDyn(s) && s.type !== "array" ? KEY : childSchema(s, undefined);
          // N elements of one request share its bytes: none is larger than the request over N.
          inner.set(args[0].args, { schema: elem ?? (s ? { "x-kubernetes-preserve-unknown-fields": true } : undefined), cap: Math.max(1, Math.floor(MAX_REQUEST_SIZE_BYTES / Math.max(1, recv.size))) });
          const body = args.slice(1).reduce((t, x) => t + est(x, inner).cost, 0);
          return { cost: recv.cost + recv.size * (body + 1) + 1, size: recv.size };
        }
        if (name === "bind" && recvNode.op === "id" && recvNode.args === "cel" && args.length === 3 && args[0]!.op === "id") {
          const val = est(args[1]!, scope);
          const inner = new Map(scope);
          inner.set(args[0]!.args, { schema: val.schema, cap: val.size });
          const body = est(args[2]!, inner);
          return { cost: val.cost + body.cost + 1, size: body.size };
        }
        const a = args.map((x) => est(x, scope));
        const sum = recv.cost + a.reduce((t, x) => t + x.cost, 0);
        if (LIST_FUNCS.has(name) && recv.schema?.type !== "string") return { cost: sum + 1 + recv.size, size: recv.size };
        if (STRING_FUNCS.has(name)) return { cost: sum + 1 + stringCost(recv.size, a), size: recv.size };
        return { cost: sum + 1, size: Math.max(1, recv.size) };
      }
      case "list": case "map": {
        const parts = n.op === "list" ? n.args : n.args.flat();
        const a = parts.map((x) => est(x, scope));
        return { cost: a.reduce((t, x) => t + x.cost, 0) + 1, size: n.args.length };
      }
      case "?:": {
        const [c, t, f] = n.args.map((x) => est(x, scope)) as [Est, Est, Est];
        return { cost: c.cost + Math.max(t.cost, f.cost), size: Math.max(t.size, f.size) };
      }
      case "&&": case "||": {
        const [l, r] = n.args.map((x) => est(x, scope)) as [Est, Est];
        return { cost: l.cost + r.cost, size: 1 };
      }
      case "!_": case "-_": {
        const x = est(n.args, scope);
        return { cost: x.cost + 1, size: x.size };
      }
      default: {
        const [l, r] = (n.args as [ASTNode, ASTNode]).map((x) => est(x, scope)) as [Est, Est];
        const base = l.cost + r.cost + 1;
        if (n.op === "in") return { cost: base + r.size, size: 1 };
        if (n.op === "+") return { cost: base + Math.ceil(STRING_TRAVERSAL * (l.size + r.size)), size: l.size + r.size };
        if (n.op === "==" || n.op === "!=") return { cost: base + Math.ceil(STRING_TRAVERSAL * Math.min(l.size, r.size)), size: 1 };
        return { cost: base, size: 1 };
      }
    }
  };
  return est(ast, new Map([...vars].map(([k, schema]) => [k, { schema }]))).cost;
}

/** A string function's traversal: proportional to the string, times the pattern or argument when there is one. */
function stringCost(len: number, args: Est[]): number {
  const arg = args.reduce((t, x) => t + x.size, 0);
  return Math.ceil(STRING_TRAVERSAL * len) * Math.max(1, Math.ceil(STRING_TRAVERSAL * arg));
}

/** Upstream's wording of a cost over its limit. */
export function costErrorMessage(description: string, cost: number, limit: number): string {
  const f = cost / limit;
  const factor = f > 100 ? "more than 100x" : f < 1.5 ? `${f.toFixed(6)}x` : `${f.toFixed(1)}x`;
  return `${description} exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}
