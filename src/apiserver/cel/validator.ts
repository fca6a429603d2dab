/**
 * Evaluation of a CRD's rules on a custom object, as upstream's
 * apiextensions schema/cel Validator: the object and the old one are walked
 * together along the schema; at each node with rules, each rule runs with
 * self (and oldSelf where the old object has a correlated value: same field,
 * same map key, same list-map item). Transition rules (those naming oldSelf)
 * run only with an old value, unless optionalOldSelf. Ratcheting
 * (CRDValidationRatcheting): a failed rule that does not name oldSelf, on a
 * value equal to its old one, is a warning, not an error.
 */
import { Optional } from "@marcbachmann/cel-js";
import type { Schema } from "./types.js";
import { fieldErrorMessage, type FieldError } from "../../api/errors.js";
import { jsonEqual } from "../../api/json-equal.js";
import { compileSchema, ruleErrorString, type CompiledRule, type CompiledSchema, type NodeRules } from "./compile.js";
import { RE2_MATCHES } from "./library/regex.js";
import { estimateCost, ObservedBounds, PER_CALL_LIMIT, RUNTIME_COST_BUDGET } from "./cost.js";

export interface ValidationResult {
  errors: FieldError[];
  /** Ratcheted errors, as upstream sends them: warnings of the response. */
  warnings: string[];
}

const NO_OLD = Symbol("no old value");
type Old = unknown | typeof NO_OLD;

class BudgetExceeded extends Error {}

export class SchemaValidator {
  private readonly compiled: CompiledSchema;

  constructor(private readonly schema: Schema) {
    this.compiled = compileSchema(schema);
  }

  /** Whether any rule is declared at all (a schema without rules needs no walk). */
  get hasRules(): boolean {
    return this.compiled.nodes.size > 0;
  }

  /** The rules' errors for obj; old is the stored object on update. */
  validate(obj: unknown, old?: unknown): ValidationResult {
    const out: ValidationResult = { errors: [], warnings: [] };
    if (!this.hasRules) return out;
    const run = new Run(this.compiled, new ObservedBounds(obj, this.compiled.root), out);
    try {
      run.walk(this.schema, obj, old === undefined ? NO_OLD : old, "", true, true);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
    }
    return out;
  }
}

/** One object's validation: the remaining budget, and the cost of each rule at this object's sizes. */
class Run {
  private budget = RUNTIME_COST_BUDGET;
  private readonly costs = new Map<CompiledRule, number>();

  constructor(private readonly c: CompiledSchema, private readonly bounds: ObservedBounds, private readonly out: ValidationResult) {}

  /**
   * correlated: old is this node's old value (a field, a map key or a
   * list-map item of the old parent); equalAncestor: the nearest correlated
   * ancestor equals its old value (what ratchets uncorrelatable nodes).
   */
  walk(s: Schema, v: unknown, old: Old, path: string, correlated: boolean, equalAncestor: boolean): void {
    if (v === undefined || v === null) return;
    const unchanged = correlated ? old !== NO_OLD && jsonEqual(v, old) : equalAncestor;
    const node = this.c.nodes.get(s);
    if (node) this.evaluate(node, v, correlated ? old : NO_OLD, path, unchanged);
    const join = (p: string) => (path ? `${path}.${p}` : p);
    if (Array.isArray(v)) {
      const items = s.items;
      if (!items) return;
      const keys = s["x-kubernetes-list-type"] === "map" ? s["x-kubernetes-list-map-keys"] ?? [] : undefined;
      const oldList = Array.isArray(old) ? old : [];
      v.forEach((item, i) => {
        let oldItem: Old = NO_OLD;
        if (keys && item && typeof item === "object") {
          const o = item as { [k: string]: unknown };
          const found = oldList.find((x) => x && typeof x === "object" && keys.every((k) => jsonEqual((x as { [k: string]: unknown })[k], o[k])));
          if (found !== undefined) oldItem = found;
        }
        this.walk(items, item, oldItem, `${path}[${i}]`, correlated && keys !== undefined, unchanged);
      });
    } else if (typeof v === "object") {
      const o = v as { [k: string]: unknown };
      const oldObj = old !== NO_OLD && old && typeof old === "object" && !Array.isArray(old) ? (old as { [k: string]: unknown }) : undefined;
      const ap = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
      for (const [k, child] of Object.entries(o)) {
        const cs = s.properties ? s.properties[k] : ap;
        if (!cs) continue;
        const childPath = s.properties ? join(k) : `${path}[${k}]`;
        const oldChild = oldObj && k in oldObj ? oldObj[k] : NO_OLD;
        this.walk(cs, child, oldChild, childPath, correlated, unchanged);
      }
    }
  }

  private cost(rule: CompiledRule, schema: Schema): number {
    let c = this.costs.get(rule);
    if (c === undefined) {
      const vars = new Map<string, Schema | undefined>([["self", schema], ["oldSelf", schema]]);
      c = rule.program ? estimateCost(rule.program.ast, vars, this.bounds) : 0;
      if (rule.message) c += estimateCost(rule.message.ast, vars, this.bounds);
      this.costs.set(rule, c);
    }
    return c;
  }

  private evaluate(node: NodeRules, v: unknown, old: Old, path: string, unchanged: boolean): void {
    const s = node.schema;
    const field = path || "<nil>";
    const type = s.type ?? "";
    const self = this.c.types.toCel(v, s);
    const hasOld = old !== NO_OLD && old !== null;
    const oldSelf = hasOld ? this.c.types.toCel(old, s) : undefined;
    for (const r of node.rules) {
      const invalid = (detail: string): FieldError => ({ type: "FieldValueInvalid", field, value: type, detail });
      if (!r.program) {
        this.out.errors.push(invalid(`rule compile error: ${r.error ?? "no program"}`));
        continue;
      }
      if (r.usesOldSelf && !hasOld && !r.rule.optionalOldSelf) continue;
      if (this.budget <= 0) {
        this.out.errors.push(invalid("validation failed due to running out of cost budget, no further validation rules will be run"));
        throw new BudgetExceeded();
      }
      const cost = this.cost(r, s);
      if (cost > PER_CALL_LIMIT) {
        this.out.errors.push(invalid(`'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleErrorString(r.rule)}`));
        throw new BudgetExceeded();
      }
      if (cost > this.budget) {
        this.out.errors.push(invalid("validation failed due to running out of cost budget, no further validation rules will be run"));
        throw new BudgetExceeded();
      }
      this.budget -= cost;
      const ctx = { self, oldSelf: r.rule.optionalOldSelf ? (hasOld ? Optional.of(oldSelf) : Optional.none()) : oldSelf };
      let result: unknown;
      try {
        result = r.program(ctx);
      } catch (e) {
        this.out.errors.push(invalid(`${evalErrorText(e)} evaluating rule: ${ruleErrorString(r.rule)}`));
        continue;
      }
      if (result === true) continue;
      const at = r.fieldPath ? (path ? (r.fieldPath.startsWith("[") ? `${path}${r.fieldPath}` : `${path}.${r.fieldPath}`) : r.fieldPath) : field;
      let detail: string | undefined;
      if (r.message) {
        try {
          const m = r.message(ctx);
          if (typeof m === "string" && m.trim() && !/[\r\n]/.test(m)) detail = m.slice(0, 5000);
        } catch {
          // As upstream: a messageExpression that fails falls back to the message.
        }
      }
      detail ??= r.rule.message ? r.rule.message.trim() : `failed rule: ${ruleErrorString(r.rule)}`;
      const e = errorForReason(r.rule.reason, at, type, detail);
      if (!r.usesOldSelf && unchanged) this.out.warnings.push(`${e.field}: ${fieldErrorMessage(e)}`);
      else this.out.errors.push(e);
    }
  }
}

function errorForReason(reason: string | undefined, field: string, type: string, detail: string): FieldError {
  switch (reason) {
    case "FieldValueForbidden": return { type: "FieldValueForbidden", field, detail };
    case "FieldValueRequired": return { type: "FieldValueRequired", field, detail };
    case "FieldValueDuplicate": return { type: "FieldValueDuplicate", field, value: type };
    default: return { type: "FieldValueInvalid", field, value: type, detail };
  }
}

/** An evaluation error in cel-go's words (`no such key: x`, `division by zero`), without the library's source excerpt. */
export function evalErrorText(e: unknown): string {
  const err = e as { summary?: string; message?: string };
  const text = err.summary ?? err.message?.split("\n")[0] ?? String(e);
  return text.replace(/^No such key/, "no such key").replaceAll(RE2_MATCHES, "matches");
}
