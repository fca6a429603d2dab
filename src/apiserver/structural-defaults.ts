/**
 * Defaulting of custom resources from their CRD's structural schema, as the
 * apiextensions apiserver defaults them: a property with a `default` that is
 * absent (or null where the schema does not allow null) gets a copy of the
 * default, then defaulting goes on into every property, defaulted ones
 * included, array items and additionalProperties. Upstream applies it to
 * requests and to every object read from storage (defaults added to a CRD
 * later show on objects stored before, without a write).
 */
import { isObject } from "../api/json.js";
import type { Schema } from "./cel/index.js";

export function applyStructuralDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) applyStructuralDefaults(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  const o = value;
  const props = schema.properties;
  for (const [key, prop] of Object.entries(props ?? {})) {
    if (prop.default === undefined) continue;
    if (!(key in o) || (o[key] === null && !prop.nullable)) o[key] = structuredClone(prop.default);
  }
  for (const [key, v] of Object.entries(o)) {
    if (props && key in props) applyStructuralDefaults(v, props[key]);
    else if (schema.additionalProperties && typeof schema.additionalProperties === "object") applyStructuralDefaults(v, schema.additionalProperties);
  }
}

/** Whether any node of the schema declares a default (else defaulting is a no-op and can be skipped). */
export function schemaHasDefaults(schema: Schema | undefined): boolean {
  if (!schema || typeof schema !== "object") return false;
  if (schema.default !== undefined) return true;
  if (schemaHasDefaults(schema.items)) return true;
  if (typeof schema.additionalProperties === "object" && schemaHasDefaults(schema.additionalProperties)) return true;
  return Object.values(schema.properties ?? {}).some((p) => schemaHasDefaults(p));
}
