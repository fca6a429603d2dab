/**
 * One walk of a value along an OpenAPI schema, shared by the unknown-field
 * check (field-validation.ts) and the type check (type-check.ts): it resolves
 * `$ref`s, follows properties, map values and array items, and tells a visitor
 * where it is, both as a dotted path with indices (`spec.containers[0].image`,
 * for unknown fields) and as Go's decoding context (the innermost struct and
 * the field names from the root, `Container` / `spec.containers.image`, for
 * type errors in upstream's words).
 */
import type { ResourceInfo } from "../api/resources.js";
import { loadBuiltinSchemas, schemaName } from "./openapi.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- schemas and bodies are free-form JSON

const REF = "#/components/schemas/";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const EXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1";

/** Types whose content is any JSON (upstream decodes them as raw bytes): never walked into. */
export const FREE_FORM = new Set([`${META}.FieldsV1`, "io.k8s.apimachinery.pkg.runtime.RawExtension", `${EXT}.JSON`]);

export interface Resolved {
  schema: Obj;
  /** The component name the value was declared with (the first $ref), e.g. ...JSONSchemaPropsOrBool. */
  declared?: string;
  /** The component name the chain of $refs ended at. */
  resolved?: string;
}

export interface WalkContext {
  /** Dotted path with indices and map keys: spec.containers[0].image. */
  path: string;
  /** Go's field stack: struct field names from the root, no indices or map keys: spec.containers.image. */
  fields: string;
  /** Short name of the struct that declares the value (Go's errorContext.Struct): Container. */
  struct: string;
  /** Where the value sits, so that a visitor can replace it. */
  parent?: Obj | unknown[];
  key?: string | number;
}

export interface SchemaVisitor {
  /** Every value with its resolved schema. Returning false keeps the walk out of the value. */
  visit?(value: unknown, s: Resolved, at: WalkContext): boolean | void;
  /** A member of an object whose schema declares properties but not this one. */
  unknown?(parent: Obj, key: string, at: WalkContext): void;
}

export function resolveSchema(s: Obj | undefined): Resolved | undefined {
  const schemas = loadBuiltinSchemas();
  let cur = s;
  let declared: string | undefined;
  let resolved: string | undefined;
  for (let i = 0; i < 10 && cur; i++) {
    const ref = cur.$ref ?? cur.allOf?.[0]?.$ref;
    if (!ref) return { schema: cur, declared, resolved };
    resolved = String(ref).replace(REF, "");
    declared ??= resolved;
    cur = schemas[resolved];
  }
  return cur ? { schema: cur, declared, resolved } : undefined;
}

/** The schema a resource's objects follow: a built-in kind's component, or a CRD version's schema with the object basics. */
export function rootSchema(info: ResourceInfo): Obj | undefined {
  if (info.crd) {
    if (info.crd.preserveUnknownFields || !info.crd.schema) return undefined;
    const root: Obj = { ...(info.crd.schema as Obj) };
    root.properties = { ...(root.properties ?? {}), apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { $ref: `${REF}${META}.ObjectMeta` } };
    return root;
  }
  const name = schemaName(info);
  return loadBuiltinSchemas()[name] ? { $ref: `${REF}${name}` } : undefined;
}

/** The last segment of a component name: io.k8s.api.core.v1.Container → Container. */
export const shortName = (name: string | undefined): string => (name ? name.slice(name.lastIndexOf(".") + 1) : "");

export function walkSchema(value: unknown, schema: Obj | undefined, visitor: SchemaVisitor, at: WalkContext = { path: "", fields: "", struct: "" }): void {
  const r = resolveSchema(schema);
  if (!r) return;
  if (visitor.visit?.(value, r, at) === false) return;
  if (value === null || typeof value !== "object") return;
  const s = r.schema;
  if (r.resolved && FREE_FORM.has(r.resolved)) return;
  // Preserved unknown fields: the declared properties are still walked, the rest is free.
  const preserve = Boolean(s["x-kubernetes-preserve-unknown-fields"]);
  if (preserve && !s.properties) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walkSchema(v, s.items, visitor, { path: `${at.path}[${i}]`, fields: at.fields, struct: at.struct, parent: value, key: i }));
    return;
  }
  const struct = s.properties ? shortName(r.resolved) || at.struct : at.struct;
  for (const [k, v] of Object.entries(value as Obj)) {
    const declared = s.properties && Object.hasOwn(s.properties, k);
    if (k.startsWith("$") && !declared) continue; // strategic merge patch directives
    const path = at.path ? `${at.path}.${k}` : k;
    if (declared) {
      walkSchema(v, s.properties[k], visitor, { path, fields: at.fields ? `${at.fields}.${k}` : k, struct, parent: value as Obj, key: k });
    } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
      walkSchema(v, s.additionalProperties, visitor, { path, fields: at.fields, struct: at.struct, parent: value as Obj, key: k });
    } else if (s.properties && !preserve) {
      visitor.unknown?.(value as Obj, k, { path, fields: at.fields, struct, parent: value as Obj, key: k });
    }
  }
}
