/**
 * Expressions over schemaless values (admission policies' object, oldObject,
 * request, params, variables): every variable dyn, values converted from
 * JSON, the same libraries and RE2 matching as CRD rules.
 */
import type { Environment, ParseResult } from "@marcbachmann/cel-js";
import { checkExpression } from "./compile.js";
import { baseEnvironment } from "./environment.js";
import { dynToCel, SchemaTypes, type Schema } from "./types.js";
import { AUTHORIZER_TYPE } from "./library/authz.js";

/**
 * Variables of a library's own type wherever an environment declares them:
 * `authorizer` is always the authz library's Authorizer (its value passed in
 * CEL's form, as celVars), never dyn JSON.
 */
const LIBRARY_VARIABLES: { [name: string]: string } = { authorizer: AUTHORIZER_TYPE };

export interface CompiledExpression {
  /** Evaluates with JSON values for the variables (undefined and null: null), and values already in CEL's form (celVars). */
  run(vars: { [name: string]: unknown }, celVars?: { [name: string]: unknown }): unknown;
  /** The checked result type ("bool", "string", "dyn", ...). */
  type: string;
}

/** An environment of dyn variables, compiled once for many expressions. */
export class ExpressionEnvironment {
  private readonly env;

  constructor(private readonly variables: string[]) {
    this.env = baseEnvironment(new SchemaTypes());
    for (const v of variables) this.env.registerVariable(v, LIBRARY_VARIABLES[v] ?? "dyn");
  }

  /**
   * The compiled expression, or cel-go's text of why it does not compile.
   * nullBranches: a conditional may join null with another type
   * (`cond ? 'text' : null`), as cel-go's checker lets it and as upstream's
   * audit annotations' valueExpressions are written; the type checker here
   * wants both branches of one type, so the expression is checked again
   * with its null literals as dyn(null), its result then dyn.
   */
  compile(expr: string, opts: { nullBranches?: boolean } = {}): CompiledExpression | { error: string } {
    const c = checkWithNulls(this.env, expr, opts.nullBranches);
    if ("error" in c) return c;
    const program: ParseResult = c.program;
    return {
      type: c.type,
      run: (vars, celVars = {}) => program(Object.fromEntries(this.variables.map((v) => [v, v in celVars ? celVars[v] : vars[v] === undefined ? null : dynToCel(vars[v])]))),
    };
  }
}

function checkWithNulls(env: Environment, expr: string, nullBranches = false): ReturnType<typeof checkExpression> {
  const c = checkExpression(env.clone(), expr);
  if ("error" in c && nullBranches && /Ternary branches must have the same type, got '[^']*' and 'null'|got 'null' and '/.test(c.error)) {
    const retried = checkExpression(env.clone(), dynNulls(expr));
    if (!("error" in retried)) return retried;
  }
  return c;
}

/** expr with each null literal (outside string literals, not a field after ".") written as dyn(null). */
function dynNulls(expr: string): string {
  let out = "";
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === "'" || ch === '"') {
      const quote = expr.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      const raw = i > 0 && /[rR]/.test(expr[i - 1]!);
      let j = i + quote.length;
      while (j < expr.length && !expr.startsWith(quote, j)) j += !raw && expr[j] === "\\" ? 2 : 1;
      j = Math.min(expr.length, j + quote.length);
      out += expr.slice(i, j);
      i = j;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i));
    if (word) {
      const before = expr.slice(0, i).trimEnd();
      out += word[0] === "null" && !before.endsWith(".") ? "dyn(null)" : word[0];
      i += word[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Type checking only (upstream's TypeChecker of admission policies): an
 * environment whose variables have the types of their schemas (none: dyn),
 * in which an expression that names a field the schema lacks does not
 * compile. Nothing is evaluated here.
 */
export class TypedExpressionChecker {
  private readonly env;

  constructor(variables: { [name: string]: Schema | undefined }) {
    const types = new SchemaTypes();
    const typed = Object.entries(variables).map(([name, s]) => [name, s ? types.typeOf(s, name) : LIBRARY_VARIABLES[name] ?? "dyn"] as const);
    this.env = baseEnvironment(types);
    for (const [name, type] of typed) this.env.registerVariable(name, type);
  }

  /** expr's checked type, or cel-go's text of why it does not compile (nullBranches as ExpressionEnvironment.compile's). */
  check(expr: string, opts: { nullBranches?: boolean } = {}): { type: string } | { error: string } {
    const c = checkWithNulls(this.env, expr, opts.nullBranches);
    return "error" in c ? c : { type: c.type };
  }
}
