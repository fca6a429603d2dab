/**
 * A rule's fieldPath (`.spec.replicas`, `.labels['app.kubernetes.io/name']`),
 * checked against the schema and normalised to the field path of its errors,
 * as upstream's ValidFieldPath: only fields and map keys, no list indices.
 */
import type { Schema } from "./types.js";

/** The relative field path (`spec.replicas`, `labels[app]`), or an Error saying why the path is not valid. */
export function validFieldPath(path: string, schema: Schema): string | Error {
  const r = resolveFieldPath(path, schema);
  return r instanceof Error ? r : r.path;
}

/**
 * The relative field path and the schema it reaches, or an Error saying why
 * the path is not valid. allowArrayNotation false (CRD selectableFields)
 * refuses `['key']` steps.
 */
export function resolveFieldPath(path: string, schema: Schema, allowArrayNotation = true): { path: string; schema: Schema | undefined } | Error {
  let out = "";
  let s: Schema | undefined = schema;
  let i = 0;
  const step = (name: string): Error | undefined => {
    if (s?.properties) {
      if (!(name in s.properties)) return new Error("does not refer to a valid field");
      out += out ? `.${name}` : name;
      s = s.properties[name];
    } else if (s?.additionalProperties && typeof s.additionalProperties === "object") {
      out += `[${name}]`;
      s = s.additionalProperties;
    } else {
      return new Error("does not refer to a valid field");
    }
    return undefined;
  };
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      const m = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!m) return new Error("unexpected end of JSON path");
      const err = step(m[0]);
      if (err) return err;
      i += 1 + m[0].length;
    } else if (c === "[") {
      if (!allowArrayNotation) return new Error("array notation is not allowed");
      const m = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(path.slice(i));
      if (!m) return new Error(`expected single quoted string but got ${path.slice(i + 1).split("]")[0]}`);
      const err = step(m[1]!.replace(/\\(.)/g, "$1"));
      if (err) return err;
      i += m[0].length;
    } else {
      return new Error(`expected [ or . but got: ${path.slice(i)}`);
    }
  }
  return { path: out, schema: s };
}
