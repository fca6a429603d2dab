/**
 * Custom resources: one strategy per served CRD version, made from what the
 * CRD declares (its schema, printer columns and scale paths), as upstream's
 * apiextensions-apiserver does for every custom resource.
 */
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { applyStructuralDefaults, schemaHasDefaults } from "../../../structural-defaults.js";
import { validateAndPrune } from "../../../structural-schema.js";
import type { Obj } from "../../object-store.js";
import type { Schema } from "../../../cel/index.js";
import { bumpGenerationOnChange, type Strategy } from "../../strategy.js";
import { customResourceScale } from "./scale.js";
import { customResourceTable } from "./table.js";
import { valueAt } from "./json-path.js";
import type { FieldError } from "../../../../api/errors.js";
import { SchemaValidator } from "../../../cel/index.js";

const made = new WeakMap<CustomResourceInfo, Strategy>();

export function customResourceStrategy(crd: CustomResourceInfo): Strategy {
  let s = made.get(crd);
  if (!s) {
    const schema = crd.schema as Schema | undefined;
    s = {
      // The schema's defaults, on writes and (object-store's present) on every read from storage.
      defaults: schema && schemaHasDefaults(schema) ? (o) => applyStructuralDefaults(o, schema) : undefined,
      // Any change outside metadata and status is a new generation, whether the schema calls it spec or not.
      prepareForUpdate: bumpGenerationOnChange,
      // Checked against the CRD's schema, losing the fields the schema does not declare, then by its CEL rules.
      validate: schema ? schemaValidation(schema, crd.preserveUnknownFields) : undefined,
      printer: customResourceTable(crd),
      // The version's selectableFields, read by their JSONPath; an absent field reads as "".
      fieldSelectors: Object.keys(crd.selectableFields ?? {}),
      fieldValue: (field, o) => {
        const path = crd.selectableFields?.[field];
        return path === undefined ? undefined : selectableValue(valueAt(o, path));
      },
      allowCreateOnUpdate: true,
      // Served when the CRD declares subresources.scale.
      subresources: { scale: customResourceScale(crd) },
    };
    made.set(crd, s);
  }
  return s;
}

/**
 * Upstream's order: the OpenAPI validation (with pruning), then the CEL
 * rules, which need values of their declared types: when a value has the
 * wrong type, the rules are not run and one error says so.
 */
function schemaValidation(schema: Schema, preserveUnknownFields: boolean): (o: Obj, old?: Obj, warn?: (text: string) => void) => FieldError[] {
  const rules = new SchemaValidator(schema);
  return (o, old, warn) => {
    const errs = validateAndPrune(o, schema, preserveUnknownFields);
    if (!rules.hasRules) return errs;
    if (errs.some((e) => (e as FieldError & { typeMismatch?: boolean }).typeMismatch)) {
      return [...errs, { type: "FieldValueInvalid", field: "<nil>", value: "null", detail: "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation" }];
    }
    const result = rules.validate(o, old);
    for (const w of result.warnings) warn?.(w);
    return [...errs, ...result.errors];
  };
}

/** A selectable field's value as a field selector compares it: a scalar's text, "" when absent. */
function selectableValue(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}
