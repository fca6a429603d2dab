/**
 * Validation of custom resources against their CRD's openAPIV3Schema, with
 * pruning of fields the schema does not declare (unless it preserves unknown
 * fields), as the apiextensions apiserver does.
 */
import type { FieldError } from "../api/errors.js";
import { isObject } from "../api/json.js";
import type { Schema } from "./cel/index.js";
import { matchesFormat } from "./string-formats.js";

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

/**
 * Upstream's OpenAPI validator (kube-openapi) words each failure as a sentence
 * about the field "in body"; the apiextensions apiserver puts it after the
 * field's path, so a user reads the path twice:
 * `spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10`.
 */
const inBody = (path: string) => `${path || "body"} in body`;

export function validateAndPrune(obj: { [field: string]: unknown }, schema: Schema, preserveAll: boolean): FieldError[] {
  const errs: FieldError[] = [];
  // A value of the wrong type is reported by its type's name, as the value and again at the end.
  const typeError = (path: string, actual: string, want: string) =>
    ({ type: "FieldValueInvalid", field: path, value: actual, detail: `${inBody(path)} must be of type ${want}: ${JSON.stringify(actual)}`, typeMismatch: true }) as FieldError;
  const walk = (value: unknown, s: Schema | undefined, path: string, root: boolean) => {
    if (!s) return;
    if (s["x-kubernetes-int-or-string"]) {
      // Upstream validates the extension as the type list [integer, string].
      if (typeof value !== "string" && !Number.isInteger(value)) errs.push(typeError(path, typeOf(value), "integer,string"));
      return;
    }
    const t = s.type;
    const actual = typeOf(value);
    if (t && !(t === actual || (t === "number" && actual === "integer"))) {
      if (!(value === null && s.nullable)) errs.push(typeError(path, actual, t));
      return;
    }
    if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
      errs.push({ type: "FieldValueNotSupported", field: path, value, detail: `supported values: ${s.enum.map((e: unknown) => JSON.stringify(e)).join(", ")}` });
    }
    if (typeof value === "number") {
      if (s.minimum !== undefined && value < s.minimum) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} should be greater than or equal to ${s.minimum}` });
      if (s.maximum !== undefined && value > s.maximum) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} should be less than or equal to ${s.maximum}` });
    }
    if (typeof value === "string") {
      // A string not of its format is reported as a value not of that type.
      if (typeof s.format === "string" && !matchesFormat(s.format, value)) {
        errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} must be of type ${s.format}: ${JSON.stringify(value)}` });
      }
      if (s.pattern && !new RegExp(s.pattern).test(value)) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} should match '${s.pattern}'` });
      if (s.maxLength !== undefined && value.length > s.maxLength) errs.push({ type: "FieldValueTooLong", field: path, value, detail: `may not be more than ${s.maxLength} bytes` });
      if (s.minLength !== undefined && value.length < s.minLength) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} should be at least ${s.minLength} chars long` });
    }
    if (Array.isArray(value)) {
      if (s.maxItems !== undefined && value.length > s.maxItems) errs.push({ type: "FieldValueTooMany", field: path, value: value.length, detail: `must have at most ${s.maxItems} items` });
      if (s.minItems !== undefined && value.length < s.minItems) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `${inBody(path)} should have at least ${s.minItems} items` });
      value.forEach((v, i) => walk(v, s.items, `${path}[${i}]`, false));
      return;
    }
    if (isObject(value)) {
      const o = value;
      for (const r of s.required ?? []) if (o[r] === undefined) errs.push({ type: "FieldValueRequired", field: path ? `${path}.${r}` : r });
      const props = s.properties;
      const preserve = preserveAll || s["x-kubernetes-preserve-unknown-fields"] === true;
      for (const key of Object.keys(o)) {
        const child = path ? `${path}.${key}` : key;
        if (root && (key === "apiVersion" || key === "kind" || key === "metadata")) continue;
        if (props && key in props) walk(o[key], props[key], child, false);
        else if (s.additionalProperties && typeof s.additionalProperties === "object") walk(o[key], s.additionalProperties, child, false);
        else if (!preserve && !s.additionalProperties) delete o[key];
      }
    }
  };
  walk(obj, schema, "", true);
  return errs;
}
