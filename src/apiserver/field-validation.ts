/**
 * Unknown fields: detection for fieldValidation=Strict and Warn (every field
 * of a request body that the kind's schema does not declare, as a dotted
 * path), and pruning, since a built-in kind keeps only the fields it declares,
 * as upstream's decoding into typed structs does.
 */
import type { ResourceInfo } from "../api/resources.js";
import { isObject } from "../api/json.js";
import { FREE_FORM, rootSchema, walkSchema } from "./schema-walk.js";

/** A request body or stored object, as JSON. */
type Body = { [field: string]: unknown };

export function checkUnknownFields(info: ResourceInfo, body: Body): string[] {
  return walkUnknown(info, body, false);
}

/** Removes the fields a built-in kind does not declare, in place. Custom resources prune by their own schema. */
export function pruneUnknownFields(info: ResourceInfo, obj: Body): void {
  if (info.crd) return;
  walkUnknown(info, obj, true);
  const root = rootSchema(info);
  if (root) dropTypedNulls(obj, root);
  else dropNulls(obj);
}

/**
 * A null member of a built-in kind means "unset", as decoding into upstream's
 * types makes it; inside free-form JSON (a ControllerRevision's data, an
 * object in a RawExtension) a null is content, kept as upstream keeps the raw bytes.
 */
function dropTypedNulls(obj: Body, root: ReturnType<typeof rootSchema>): void {
  walkSchema(obj, root, {
    visit(value, s) {
      if (s.resolved && FREE_FORM.has(s.resolved)) return false;
      if (!isObject(value)) return;
      for (const [k, x] of Object.entries(value)) if (x === null) delete value[k];
    },
  });
}

/** Every null member, for a kind without a schema. */
function dropNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) dropNulls(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else dropNulls(x);
    }
  }
}

function walkUnknown(info: ResourceInfo, body: Body, prune: boolean): string[] {
  const unknown: string[] = [];
  walkSchema(body, rootSchema(info), {
    unknown(parent, key, at) {
      unknown.push(at.path);
      if (prune) delete parent[key];
    },
  });
  return unknown;
}
