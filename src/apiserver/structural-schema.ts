/**
 * Validation of custom resources against their CRD's openAPIV3Schema, with
 * pruning of fields the schema does not declare (unless it preserves unknown
 * fields), as the apiextensions apiserver does.
 */
import type { FieldError } from "../api/errors.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- schemas and objects are free-form JSON

const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

export function validateAndPrune(obj: Obj, schema: Obj, preserveAll: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const walk = (value: unknown, s: Obj | undefined, path: string, root: boolean) => {
    if (!s) return;
    if (s["x-kubernetes-int-or-string"]) {
      if (typeof value !== "string" && !Number.isInteger(value)) errs.push({ type: "FieldValueInvalid", field: path, value, detail: "must be an integer or a string" });
      return;
    }
    const t = s.type as string | undefined;
    const actual = typeOf(value);
    if (t && !(t === actual || (t === "number" && actual === "integer"))) {
      if (!(value === null && s.nullable)) errs.push({ type: "FieldValueInvalid" as const, field: path, value, detail: `must be of type ${t}`, typeMismatch: true } as FieldError);
      return;
    }
    if (s.enum && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
      errs.push({ type: "FieldValueNotSupported", field: path, value, detail: `supported values: ${s.enum.map((e: unknown) => JSON.stringify(e)).join(", ")}` });
    }
    if (typeof value === "number") {
      if (s.minimum !== undefined && value < s.minimum) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `should be greater than or equal to ${s.minimum}` });
      if (s.maximum !== undefined && value > s.maximum) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `should be less than or equal to ${s.maximum}` });
    }
    if (typeof value === "string") {
      if (s.pattern && !new RegExp(s.pattern).test(value)) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `should match '${s.pattern}'` });
      if (s.maxLength !== undefined && value.length > s.maxLength) errs.push({ type: "FieldValueTooLong", field: path, value, detail: `may not be more than ${s.maxLength} bytes` });
      if (s.minLength !== undefined && value.length < s.minLength) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `should be at least ${s.minLength} chars long` });
    }
    if (Array.isArray(value)) {
      if (s.maxItems !== undefined && value.length > s.maxItems) errs.push({ type: "FieldValueTooLong", field: path, value, detail: `must have at most ${s.maxItems} items` });
      if (s.minItems !== undefined && value.length < s.minItems) errs.push({ type: "FieldValueInvalid", field: path, value, detail: `should have at least ${s.minItems} items` });
      value.forEach((v, i) => walk(v, s.items, `${path}[${i}]`, false));
      return;
    }
    if (value && typeof value === "object") {
      const o = value as Obj;
      for (const r of s.required ?? []) if (o[r] === undefined) errs.push({ type: "FieldValueRequired", field: path ? `${path}.${r}` : r });
      const props: Obj | undefined = s.properties;
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
