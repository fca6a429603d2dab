/**
 * Expressions over schemaless values (admission policies' object, oldObject,
 * request, params, variables): every variable dyn, values converted from
 * JSON, the same libraries and RE2 matching as CRD rules.
 */
import type { ParseResult } from "@marcbachmann/cel-js";
import { checkExpression } from "./compile.js";
import { baseEnvironment } from "./environment.js";
import { dynToCel, SchemaTypes } from "./types.js";

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
    for (const v of variables) this.env.registerVariable(v, "dyn");
  }

  /** The compiled expression, or cel-go's text of why it does not compile. */
  compile(expr: string): CompiledExpression | { error: string } {
    const c = checkExpression(this.env.clone(), expr);
    if ("error" in c) return c;
    const program: ParseResult = c.program;
    return {
      type: c.type,
      run: (vars, celVars = {}) => program(Object.fromEntries(this.variables.map((v) => [v, v in celVars ? celVars[v] : vars[v] === undefined ? null : dynToCel(vars[v])]))),
    };
  }
}
