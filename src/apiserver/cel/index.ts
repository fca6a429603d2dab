/**
 * CEL validation rules of CustomResourceDefinitions (x-kubernetes-validations):
 * compiled against the structural schema when a CRD is written (a rule that
 * does not compile, or costs too much, refuses the CRD) and evaluated on
 * every create and update of a custom object, in its schema validation step.
 */
import type { Schema } from "./types.js";
import type { FieldError } from "../../api/errors.js";
import { compileSchema } from "./compile.js";

export { evalErrorText, SchemaValidator, type ValidationResult } from "./validator.js";
export type { Schema } from "./types.js";
export { resolveFieldPath } from "./field-path.js";
export { ExpressionEnvironment, TypedExpressionChecker, type CompiledExpression } from "./expression.js";

/** The CRD's errors from the rules of one version's schema, at fieldPath (`spec.versions[0].schema.openAPIV3Schema`). */
export function validateSchemaRules(schema: Schema, fieldPath: string): FieldError[] {
  return compileSchema(schema).errors.map((e) => ({ ...e, field: e.field ? `${fieldPath}.${e.field}` : fieldPath }));
}
export { authorizerFor, type AuthorizerValue, type RequestResource } from "./library/authz.js";
