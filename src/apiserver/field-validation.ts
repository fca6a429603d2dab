/**
 * Unknown fields: detection for fieldValidation=Strict and Warn (every field
 * of a request body that the kind's schema does not declare, as a dotted
 * path), and pruning, since a built-in kind keeps only the fields it declares,
 * as upstream's decoding into typed structs does.
 */
import type { ResourceInfo } from "../api/resources.js";
import { loadBuiltinSchemas, schemaName } from "./openapi.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- schemas and bodies are free-form JSON

export function checkUnknownFields(info: ResourceInfo, body: Obj): string[] {
  return walkUnknown(info, body, false);
}

/** Removes the fields a built-in kind does not declare, in place. Custom resources prune by their own schema. */
export function pruneUnknownFields(info: ResourceInfo, obj: Obj): void {
  if (info.crd) return;
  walkUnknown(info, obj, true);
  dropNulls(obj);
}

/** A null member of a built-in kind means "unset", as decoding into upstream's types makes it. */
function dropNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) dropNulls(x);
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete (v as Obj)[k];
      else dropNulls(x);
    }
  }
}

function walkUnknown(info: ResourceInfo, body: Obj, prune: boolean): string[] {
  const schemas = loadBuiltinSchemas();
  const resolve = (s: Obj | undefined): Obj | undefined => {
    let cur = s;
    for (let i = 0; i < 10 && cur; i++) {
      const ref = cur.$ref ?? cur.allOf?.[0]?.$ref;
      if (!ref) return cur;
      cur = schemas[String(ref).replace("#/components/schemas/", "")];
    }
    return cur;
  };
  let root: Obj | undefined;
  if (info.crd) {
    if (info.crd.preserveUnknownFields || !info.crd.schema) return [];
    root = { ...(info.crd.schema as Obj) };
    root.properties = { ...(root.properties ?? {}), apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" } };
  } else {
    root = schemas[schemaName(info)];
  }
  if (!root) return [];
  const unknown: string[] = [];
  const walk = (value: unknown, schema: Obj | undefined, path: string) => {
    const s = resolve(schema);
    if (!s || value === null || typeof value !== "object") return;
    if (s["x-kubernetes-preserve-unknown-fields"]) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, s.items, `${path}[${i}]`));
      return;
    }
    for (const [k, v] of Object.entries(value as Obj)) {
      if (k.startsWith("$")) continue; // strategic merge patch directives
      const child = path ? `${path}.${k}` : k;
      if (s.properties && k in s.properties) walk(v, s.properties[k], child);
      else if (s.additionalProperties && typeof s.additionalProperties === "object") walk(v, s.additionalProperties, child);
      else if (s.properties) {
        unknown.push(child);
        if (prune) delete (value as Obj)[k];
      }
    }
  };
  walk(body, root, "");
  return unknown;
}
