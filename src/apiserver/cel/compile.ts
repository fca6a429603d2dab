/**
 * Compilation of a schema's x-kubernetes-validations, once per CRD version:
 * each rule is parsed and type-checked with `self` (and `oldSelf`) of the
 * CEL type of the schema node it sits on, its messageExpression and
 * fieldPath checked, and its cost estimated. What does not compile is a
 * field error of the CRD, at upstream's path
 * (`...properties[spec].x-kubernetes-validations[0].rule`).
 */
import type { ASTNode, Environment, ParseResult } from "@marcbachmann/cel-js";
import type { ValidationRule } from "kubernetes-types/apiextensions/v1.js";
import type { Schema } from "./types.js";
import { GoSyntax, type FieldError } from "../../api/errors.js";
import { costErrorMessage, estimateCost, schemaBounds, STATIC_ESTIMATED_COST_LIMIT, STATIC_ESTIMATED_CRD_COST_LIMIT } from "./cost.js";
import { baseEnvironment } from "./environment.js";
import { validFieldPath } from "./field-path.js";
import { RE2_MATCHES } from "./library/regex.js";
import { re2 } from "./library/regex-syntax.js";
import { SchemaTypes } from "./types.js";

export const REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"] as const;
export type Reason = (typeof REASONS)[number];

export interface CompiledRule {
  rule: ValidationRule;
  /** Absent when the rule did not compile (error says why). */
  program?: ParseResult;
  message?: ParseResult;
  usesOldSelf: boolean;
  /** The normalised fieldPath, relative to the node. */
  fieldPath?: string;
  /** Why the rule cannot run: what a CRD write is refused for. */
  error?: string;
}

/** The rules of one schema node. */
export interface NodeRules {
  /** The schema self is typed by (with apiVersion, kind and metadata at a resource's root). */
  schema: Schema;
  rules: CompiledRule[];
}

export interface CompiledSchema {
  /** By the node of the CRD's schema the rules sit on. */
  nodes: Map<Schema, NodeRules>;
  /** The root's effective schema and the types, for converting objects. */
  root: Schema;
  types: SchemaTypes;
  /** Errors of the CRD, with paths relative to the schema (prefix them with the schema's own path). */
  errors: FieldError[];
}

/** What a user sees for a rule: its message, else its text, trimmed (upstream's ruleErrorString). */
export function ruleErrorString(r: ValidationRule): string {
  return (r.message ? r.message : r.rule).trim();
}

/** upstream's %#v of apiextensions.ValidationRule, the bad value of a rule that does not compile. */
function goRule(r: ValidationRule): GoSyntax {
  const str = (s: string | undefined) => JSON.stringify(s ?? "");
  const reason = r.reason === undefined ? "(*apiextensions.FieldValueErrorReason)(nil)" : `(*apiextensions.FieldValueErrorReason)(${str(r.reason)})`;
  const oldSelf = r.optionalOldSelf === undefined ? "(*bool)(nil)" : `(*bool)(${r.optionalOldSelf})`;
  return new GoSyntax(`apiextensions.ValidationRule{Rule:${str(r.rule)}, Message:${str(r.message)}, MessageExpression:${str(r.messageExpression)}, Reason:${reason}, FieldPath:${str(r.fieldPath)}, OptionalOldSelf:${oldSelf}}`);
}

interface CelErrorLike { summary?: string; message: string; code?: string; range?: { start: number } }

/** A compile error as cel-go prints it: `ERROR: <input>:1:6: message`, then the line and a caret under the column. */
export function formatCelError(src: string, e: CelErrorLike): string {
  let summary = (e.summary ?? e.message.split("\n")[0]!).replaceAll(RE2_MATCHES, "matches");
  const noKey = /^No such key: (.*)$/.exec(summary);
  if (noKey) summary = `undefined field '${noKey[1]}'`;
  const unknown = /^Unknown variable: (.*)$/.exec(summary);
  if (unknown) summary = `undeclared reference to '${unknown[1]}' (in container '')`;
  let at = Math.max(0, Math.min(e.range?.start ?? 0, src.length));
  // cel-go places a field selection at its ".", this checker at the field's name.
  if (noKey) {
    const dot = src.slice(0, at).trimEnd();
    if (dot.endsWith(".")) at = dot.length - 1;
  }
  const before = src.slice(0, at);
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const col = at - lineStart;
  const text = src.split("\n")[line - 1] ?? "";
  return `ERROR: <input>:${line}:${col + 1}: ${summary}\n | ${text}\n | ${".".repeat(col)}^`;
}

/** Whether the expression names a variable (outside a comprehension that binds the same name). */
function usesVariable(ast: ASTNode, name: string): boolean {
  let found = false;
  const visit = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if (Array.isArray(n)) { n.forEach(visit); return; }
    const node = n as { op?: string; args?: unknown };
    if (node.op === "id" && node.args === name) { found = true; return; }
    if (node.op !== undefined) visit(node.args);
  };
  visit(ast);
  return found;
}

const REGEX_FUNCS = new Set(["matches", "find", "findAll"]);

/**
 * The expression with its matches calls renamed to RE2_MATCHES at the same
 * length (the standard matches backtracks); and the first literal pattern
 * that is not RE2 syntax, as a compile error (cel-go checks literal patterns
 * when it compiles).
 */
function rewriteMatches(ast: ASTNode, expr: string): { text: string; error?: CelErrorLike } {
  const chars = expr.split("");
  let error: CelErrorLike | undefined;
  const visit = (n: ASTNode): void => {
    if (n.op === "call" || n.op === "rcall") {
      const name = n.args[0];
      const args = n.op === "call" ? n.args[1] : n.args[2];
      if (REGEX_FUNCS.has(name)) {
        const pattern = n.op === "call" ? args[1] : args[0];
        if (!error && pattern?.op === "value" && typeof pattern.args === "string") {
          try {
            re2(pattern.args);
          } catch (e) {
            error = { message: (e as Error).message, range: { start: pattern.start } };
          }
        }
        if (name === "matches") {
          const from = n.op === "call" ? n.start : n.args[1].end;
          const i = expr.indexOf("matches", from);
          if (i >= 0) for (let k = 0; k < RE2_MATCHES.length; k++) chars[i + k] = RE2_MATCHES[k]!;
        }
      }
    }
    for (const child of children(n)) visit(child);
  };
  visit(ast);
  return { text: chars.join(""), error };
}

/**
 * Upstream's `authorizer.requestResource` is a variable of its own (a dotted
 * name), not a field of the Authorizer type; this evaluator resolves no
 * dotted names, so it is a field of the Authorizer value. An Authorizer that
 * serviceAccount() returns has no such field upstream: selecting it is
 * cel-go's compile error, at the ".".
 */
function requestResourceOfServiceAccount(ast: ASTNode, expr: string): CelErrorLike | undefined {
  let found: CelErrorLike | undefined;
  const visit = (n: ASTNode): void => {
    if (found) return;
    if ((n.op === "." || n.op === ".?") && n.args[1] === "requestResource") {
      const left = n.args[0];
      if (left.op === "rcall" && left.args[0] === "serviceAccount") {
        const dot = expr.lastIndexOf(".", n.range.end - "requestResource".length);
        found = { message: "undefined field 'requestResource'", range: { start: Math.max(0, dot) } };
        return;
      }
    }
    for (const child of children(n)) visit(child);
  };
  visit(ast);
  return found;
}

/** The sub-expressions of a node. */
function children(n: ASTNode): ASTNode[] {
  const out: ASTNode[] = [];
  const add = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(add);
    else if (x && typeof x === "object" && "op" in x) out.push(x as ASTNode);
  };
  if (n.op !== "value" && n.op !== "id") add(n.args);
  return out;
}

/** Parses and type-checks expr; the result type or a cel-go style error. */
export function checkExpression(env: Environment, expr: string): { program: ParseResult; type: string } | { error: string } {
  let program: ParseResult;
  try {
    const ast = env.parse(expr).ast;
    const misplaced = requestResourceOfServiceAccount(ast, expr);
    if (misplaced) return { error: formatCelError(expr, misplaced) };
    const rewritten = rewriteMatches(ast, expr);
    if (rewritten.error) return { error: formatCelError(expr, rewritten.error) };
    program = env.parse(rewritten.text);
  } catch (e) {
    return { error: formatCelError(expr, e as CelErrorLike) };
  }
  const c = program.check();
  if (!c.valid) return { error: formatCelError(expr, c.error as CelErrorLike) };
  return { program, type: c.type ?? "dyn" };
}

/**
 * Compiles every rule of a CRD version's structural schema. Never throws:
 * a rule that does not compile is an error of the result, and of the rule
 * (it fails every object it would check, as upstream's uncompiled rules do).
 */
export function compileSchema(schema: Schema): CompiledSchema {
  const types = new SchemaTypes();
  const root = types.rootSchema(schema);
  types.typeOf(root, "");
  let base: Environment;
  try {
    base = baseEnvironment(types);
  } catch (e) {
    return { nodes: new Map(), root, types, errors: [{ type: "FieldValueInvalid", field: "", value: "object", detail: `rule compiler initialization error: ${(e as Error).message}` }] };
  }
  const nodes = new Map<Schema, NodeRules>();
  const errors: FieldError[] = [];
  let total = 0;

  const walk = (s: Schema, path: string, effective: Schema, correlatable: boolean, cardinality: number): void => {
    const rules = s["x-kubernetes-validations"] ?? [];
    if (rules.length) {
      const selfType = types.typeOf(effective, path);
      const compiled = rules.map((r, i) => {
        const fld = `${path ? `${path}.` : ""}x-kubernetes-validations[${i}]`;
        const c = compileRule(base, selfType, effective, r, fld, correlatable, path, errors);
        if (c.cost !== undefined) total += c.cost * cardinality;
        return c.compiled;
      });
      nodes.set(s, { schema: effective, rules: compiled });
    }
    const join = (p: string) => (path ? `${path}.${p}` : p);
    for (const [k, child] of Object.entries(s.properties ?? {})) {
      walk(child, join(`properties[${k}]`), child["x-kubernetes-embedded-resource"] ? types.rootSchema(child) : child, correlatable, cardinality);
    }
    const size = schemaBounds.size(s);
    if (s.items && !Array.isArray(s.items)) {
      const items = s.items;
      walk(items, join("items"), items["x-kubernetes-embedded-resource"] ? types.rootSchema(items) : items, correlatable && s["x-kubernetes-list-type"] === "map", cardinality * size);
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object") {
      const ap = s.additionalProperties;
      walk(ap, join("additionalProperties"), ap["x-kubernetes-embedded-resource"] ? types.rootSchema(ap) : ap, correlatable, cardinality * size);
    }
  };
  walk(schema, "", root, true, 1);
  if (total > STATIC_ESTIMATED_CRD_COST_LIMIT) {
    errors.push({ type: "FieldValueForbidden", field: "", detail: costErrorMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", total, STATIC_ESTIMATED_CRD_COST_LIMIT) });
  }
  return { nodes, root, types, errors };
}

function compileRule(
  base: Environment, selfType: string, schema: Schema, r: ValidationRule, fld: string,
  correlatable: boolean, schemaPath: string, errors: FieldError[],
): { compiled: CompiledRule; cost?: number } {
  const compiled: CompiledRule = { rule: r, usesOldSelf: false };
  const fail = (e: FieldError) => {
    errors.push(e);
    compiled.error ??= e.detail ?? e.type;
  };
  if (!r.rule?.trim()) {
    fail({ type: "FieldValueRequired", field: `${fld}.rule`, detail: "rule is not specified" });
    return { compiled };
  }
  if (r.message !== undefined && /[\r\n]/.test(r.message)) fail({ type: "FieldValueInvalid", field: `${fld}.message`, value: r.message, detail: "message must not contain line breaks" });
  if (!r.message && /[\r\n]/.test(r.rule)) fail({ type: "FieldValueRequired", field: `${fld}.message`, detail: "message must be specified if rule contains line breaks" });
  if (r.reason !== undefined && !(REASONS as readonly string[]).includes(r.reason)) {
    fail({ type: "FieldValueNotSupported", field: `${fld}.reason`, value: r.reason, detail: `supported values: ${REASONS.map((x) => JSON.stringify(x)).join(", ")}` });
  }
  if (r.fieldPath !== undefined) {
    const p = validFieldPath(r.fieldPath, schema);
    if (p instanceof Error) fail({ type: "FieldValueInvalid", field: `${fld}.fieldPath`, value: r.fieldPath, detail: `fieldPath must be a valid path: ${p.message}` });
    else compiled.fieldPath = p;
  }
  let env: Environment;
  try {
    env = base.clone();
    env.registerVariable("self", selfType);
    env.registerVariable("oldSelf", r.optionalOldSelf ? `optional<${selfType}>` : selfType);
  } catch (e) {
    // A schema this module cannot type is the rule's error, never the request's 500.
    fail({ type: "FieldValueInvalid", field: `${fld}.rule`, value: goRule(r), detail: `rule compiler initialization error: ${(e as Error).message}` });
    return { compiled };
  }
  const checked = checkExpression(env, r.rule);
  if ("error" in checked) {
    fail({ type: "FieldValueInvalid", field: `${fld}.rule`, value: goRule(r), detail: `compilation failed: ${checked.error}` });
    return { compiled };
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    fail({ type: "FieldValueInvalid", field: `${fld}.rule`, value: goRule(r), detail: "compilation failed: cel expression must evaluate to a bool" });
    return { compiled };
  }
  compiled.usesOldSelf = usesVariable(checked.program.ast, "oldSelf");
  if (compiled.usesOldSelf && !correlatable) {
    fail({ type: "FieldValueForbidden", field: `${fld}.rule`, detail: `oldSelf cannot be used on the uncorrelatable portion of the schema within ${schemaPath || "<nil>"}` });
  }
  if (r.optionalOldSelf && !compiled.usesOldSelf) {
    fail({ type: "FieldValueInvalid", field: `${fld}.optionalOldSelf`, value: true, detail: "may not be set if oldSelf is not used in rule" });
  }
  const vars = new Map<string, Schema | undefined>([["self", schema], ["oldSelf", schema]]);
  let cost = estimateCost(checked.program.ast, vars, schemaBounds);
  if (r.messageExpression !== undefined) {
    const m = checkExpression(env, r.messageExpression);
    if ("error" in m) {
      fail({ type: "FieldValueInvalid", field: `${fld}.messageExpression`, value: goRule(r), detail: `messageExpression compilation failed: ${m.error}` });
    } else if (m.type !== "string" && m.type !== "dyn") {
      fail({ type: "FieldValueInvalid", field: `${fld}.messageExpression`, value: goRule(r), detail: "must evaluate to a string" });
    } else {
      compiled.message = m.program;
      cost += estimateCost(m.program.ast, vars, schemaBounds);
    }
  }
  if (cost > STATIC_ESTIMATED_COST_LIMIT) {
    fail({ type: "FieldValueForbidden", field: `${fld}.rule`, detail: costErrorMessage("estimated rule cost", cost, STATIC_ESTIMATED_COST_LIMIT) });
  }
  if (!compiled.error) compiled.program = checked.program;
  return { compiled, cost };
}
