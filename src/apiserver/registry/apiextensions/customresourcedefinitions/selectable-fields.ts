/**
 * A CRD version's selectableFields (CustomResourceFieldSelectors, GA in
 * v1.32): simple JSONPaths to scalar fields of the version's schema that
 * list and watch then accept in fieldSelector, besides metadata.name and
 * metadata.namespace. Checked as upstream's ValidateCustomResourceSelectableFields.
 */
import type { CustomResourceDefinitionVersion, SelectableField } from "kubernetes-types/apiextensions/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { required } from "../../../../api/validation.js";
import { resolveFieldPath, type Schema } from "../../../cel/index.js";

/** Upstream's MaxSelectableFields: the most distinct fields one version may declare. */
export const MAX_SELECTABLE_FIELDS = 8;

/** The types a selectable field may have (enums and strings with formats included). */
const SELECTABLE_TYPES = new Set(["string", "boolean", "integer"]);

/** The field selector's name for a selectable field: its JSONPath without the leading dot (`spec.color`). */
export function selectableFieldName(jsonPath: string): string {
  return jsonPath.replace(/^\./, "");
}

/** The errors of one version's selectableFields, at `spec.versions[i]` (path). */
export function validateVersionSelectableFields(version: CustomResourceDefinitionVersion, path: string): FieldError[] {
  const fields = version.selectableFields ?? [];
  if (!fields.length) return [];
  const schema = version.schema?.openAPIV3Schema as Schema | undefined;
  // Upstream's wording, odd as it reads: the fields need the version's schema.
  if (!schema) return [{ type: "FieldValueInvalid", field: `${path}.selectableFields`, value: "", detail: "selectableFields may only be set when version.schema.openAPIV3Schema is not included" }];
  return validateSelectableFields(fields, schema, `${path}.selectableFields`);
}

function validateSelectableFields(fields: SelectableField[], schema: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Set<string>();
  fields.forEach((f, i) => {
    const at = `${path}[${i}].jsonPath`;
    if (!f.jsonPath) {
      errs.push(required(at));
      return;
    }
    const found = resolveFieldPath(f.jsonPath, schema, false);
    if (found instanceof Error) {
      errs.push({ type: "FieldValueInvalid", field: at, value: f.jsonPath, detail: `is an invalid path: ${found.message}` });
      return;
    }
    if (found.path.split(/[.[]/)[0] === "metadata") errs.push({ type: "FieldValueInvalid", field: at, value: f.jsonPath, detail: "must not point to fields in metadata" });
    if (!SELECTABLE_TYPES.has(found.schema?.type ?? "")) {
      errs.push({ type: "FieldValueInvalid", field: at, value: f.jsonPath, detail: "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed." });
    }
    if (unique.has(found.path)) errs.push({ type: "FieldValueDuplicate", field: at, value: f.jsonPath });
    else unique.add(found.path);
  });
  if (unique.size > MAX_SELECTABLE_FIELDS) errs.push({ type: "FieldValueTooMany", field: path, value: unique.size, detail: `must have at most ${MAX_SELECTABLE_FIELDS} items` });
  return errs;
}

/** The OpenAPI extension upstream publishes on a custom resource's schema, in declaration order. */
export function selectableFieldsExtension(crd: CustomResourceInfo): { fieldPath: string }[] {
  return Object.keys(crd.selectableFields ?? {}).map((fieldPath) => ({ fieldPath }));
}
