/**
 * The JSON types of a built-in kind's object, checked against its OpenAPI
 * schema before anything else reads it. Upstream decodes a body into Go
 * structs, so a value of the wrong type never gets past decoding; here the
 * object stays JSON, and this check is what stands between a `"image": 5`
 * and every `image.split` behind it. The errors are upstream's decoding
 * errors, with Go's field context (`Container.spec.containers.image`).
 *
 * Like Go's decoder it also normalises what decoding normalises: a null array
 * element becomes its type's zero value, and a quantity given as a number
 * becomes the quantity's string. Custom resources are checked by their own
 * structural schema elsewhere.
 */
import { ApiError, badRequest } from "../api/errors.js";
import type { ResourceInfo } from "../api/resources.js";
import { FREE_FORM, resolveSchema, rootSchema, walkSchema, type Resolved, type WalkContext } from "./schema-walk.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- objects are free-form JSON here

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const EXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1";
const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const QUANTITY_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;
const QUANTITY_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const INT64 = [-(2 ** 63), 2 ** 63] as const;

const CUSTOM_RESOURCE: Obj = {
  type: "object",
  properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { $ref: `#/components/schemas/${META}.ObjectMeta` } },
  "x-kubernetes-preserve-unknown-fields": true,
};

/** How the caller got the object; it decides the error's shape, as upstream's handlers differ. */
export type TypeCheckSource =
  | { from: "body" }
  /** The result of a JSON or merge patch (the patched JSON is quoted back), or of a strategic merge patch (the patch is). */
  | { from: "patch"; quoted: string };

/**
 * Refuses a built-in kind's object with a value of the wrong JSON type anywhere:
 * 400 BadRequest for a request body, 422 Invalid on `patch` for a patch's result.
 */
export function checkTypes(info: ResourceInfo, obj: unknown, source: TypeCheckSource = { from: "body" }): void {
  // A custom resource's own schema checks the rest; its apiVersion, kind and metadata are the API's.
  const schema = info.crd ? CUSTOM_RESOURCE : rootSchema(info);
  if (!schema) return;
  const problem = firstTypeError(obj, schema);
  if (problem === undefined) return;
  if (source.from === "body") {
    throw badRequest(`${info.kind} in version ${JSON.stringify(info.version)} cannot be handled as a ${info.kind}: ${problem}`);
  }
  const value = JSON.stringify(source.quoted);
  throw new ApiError(422, "Invalid", ` "" is invalid: patch: Invalid value: ${value}: ${problem}`, {
    causes: [{ reason: "FieldValueInvalid", message: `Invalid value: ${value}: ${problem}`, field: "patch" }],
  });
}

/** The first decoding error of obj against a schema, in upstream's words, or undefined. */
export function firstTypeError(obj: unknown, schema: Obj): string | undefined {
  let problem: string | undefined;
  const visit = (value: unknown, r: Resolved, at: WalkContext): boolean => {
    if (problem !== undefined) return false;
    const p = checkValue(value, r, at, visit);
    if (p !== undefined) problem ??= p;
    return problem === undefined;
  };
  walkSchema(obj, schema, { visit });
  return problem;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v; // string, number, object
}

function mismatch(v: unknown, at: WalkContext, goType: string): string {
  const where = at.fields ? `Go struct field ${at.struct}.${at.fields}` : "Go value";
  return `json: cannot unmarshal ${jsonKind(v)} into ${where} of type ${goType}`;
}

function badNumber(v: number, at: WalkContext, goType: string): string {
  const where = at.fields ? `Go struct field ${at.struct}.${at.fields}` : "Go value";
  return `json: cannot unmarshal number ${String(v)} into ${where} of type ${goType}`;
}

/** Go's name of the type a schema decodes into (v1.Container, []string, map[string]string, int32). */
export function goTypeName(schema: Obj | undefined): string {
  const r = resolveSchema(schema);
  if (!r) return "interface {}";
  const s = r.schema;
  const name = r.declared ?? r.resolved;
  if (name === QUANTITY) return "resource.Quantity";
  if (s["x-kubernetes-int-or-string"]) return "intstr.IntOrString";
  if (name && (s.properties || FREE_FORM.has(name) || name === `${META}.Time` || name === `${META}.MicroTime`)) {
    const parts = name.split(".");
    return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
  }
  switch (s.type) {
    case "string": return s.format === "byte" ? "[]uint8" : "string";
    case "integer": return s.format === "int64" ? "int64" : "int32";
    case "number": return "float64";
    case "boolean": return "bool";
    case "array": return `[]${goTypeName(s.items)}`;
    case "object": return s.additionalProperties && typeof s.additionalProperties === "object" ? `map[string]${goTypeName(s.additionalProperties)}` : "map[string]interface {}";
  }
  return "interface {}";
}

/** What decoding a JSON null into a slice element gives: the element type's zero value. */
function zeroValue(schema: Obj | undefined): unknown {
  const r = resolveSchema(schema);
  if (!r) return null;
  const s = r.schema;
  const name = r.declared ?? r.resolved;
  if (name === QUANTITY) return "0";
  if (s["x-kubernetes-int-or-string"]) return 0;
  if (s.properties || s.type === "object") return {};
  switch (s.type) {
    case "string": return "";
    case "integer": case "number": return 0;
    case "boolean": return false;
  }
  return null;
}

/** A quantity written as a JSON number, as its string (1.5 → "1500m", as upstream serialises it back). */
function quantityOf(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const milli = n * 1000;
  return `${Number.isInteger(milli) ? milli : Math.ceil(milli)}m`;
}

function base64Error(s: string): string | undefined {
  // Go's StdEncoding skips \r and \n; anything else outside the alphabet, or bad padding, is corrupt.
  const t = s.replace(/[\r\n]/g, "");
  const bad = t.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  const pad = t.indexOf("=");
  if (t.length % 4 !== 0) return `illegal base64 data at input byte ${pad >= 0 ? pad : t.length - (t.length % 4)}`;
  if (pad >= 0 && (pad < t.length - 2 || /[^=]/.test(t.slice(pad)))) return `illegal base64 data at input byte ${pad}`;
  return undefined;
}

function checkValue(value: unknown, r: Resolved, at: WalkContext, visit: (v: unknown, r: Resolved, at: WalkContext) => boolean): string | undefined {
  if (value === null || value === undefined) {
    // Go leaves a null as the zero value: a member is as good as absent, a list element is its type's zero.
    if (at.parent && !Array.isArray(at.parent)) delete (at.parent as Obj)[at.key as string];
    return undefined;
  }
  const s = r.schema;
  const name = r.declared ?? r.resolved;
  if (name && FREE_FORM.has(name)) return undefined;
  if (name === QUANTITY) {
    if (typeof value === "number" && Number.isFinite(value)) {
      if (at.parent) (at.parent as Obj)[at.key as string] = quantityOf(value);
      return undefined;
    }
    return typeof value === "string" && QUANTITY_RE.test(value.trim()) ? undefined : QUANTITY_MESSAGE;
  }
  if (name === `${META}.Time` || name === `${META}.MicroTime`) {
    if (typeof value !== "string") return mismatch(value, at, "string");
    const layout = name.endsWith("MicroTime") ? "2006-01-02T15:04:05.000000Z07:00" : "2006-01-02T15:04:05Z07:00";
    return RFC3339.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(value)} as "2006"`;
  }
  if (name === `${EXT}.JSONSchemaPropsOrBool` && typeof value === "boolean") return undefined;
  if (name === `${EXT}.JSONSchemaPropsOrStringArray` && Array.isArray(value)) {
    const i = value.findIndex((x) => typeof x !== "string");
    return i < 0 ? undefined : mismatch(value[i], at, "string");
  }
  if (name === `${EXT}.JSONSchemaPropsOrArray` && Array.isArray(value)) {
    // Each item is a JSONSchemaProps of its own; the walk below finds no `items` to follow.
    value.forEach((item, i) => walkSchema(item, { $ref: `#/components/schemas/${r.resolved}` }, { visit }, { ...at, path: `${at.path}[${i}]`, parent: value, key: i }));
    return undefined;
  }
  if (s["x-kubernetes-int-or-string"]) {
    if (typeof value === "string") return undefined;
    if (typeof value !== "number") return mismatch(value, at, "int32");
    return Number.isInteger(value) && value >= INT32[0] && value <= INT32[1] ? undefined : badNumber(value, at, "int32");
  }
  if (s.properties) {
    return typeof value === "object" && !Array.isArray(value) ? undefined : mismatch(value, at, goTypeName({ $ref: `#/components/schemas/${r.resolved}` }));
  }
  switch (s.type) {
    case "string":
      if (typeof value !== "string") return mismatch(value, at, s.format === "byte" ? "[]uint8" : "string");
      return s.format === "byte" ? base64Error(value) : undefined;
    case "integer": {
      const goType = s.format === "int64" ? "int64" : "int32";
      if (typeof value !== "number") return mismatch(value, at, goType);
      const [lo, hi] = goType === "int64" ? INT64 : INT32;
      return Number.isInteger(value) && value >= lo && value <= hi ? undefined : badNumber(value, at, goType);
    }
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : mismatch(value, at, "float64");
    case "boolean":
      return typeof value === "boolean" ? undefined : mismatch(value, at, "bool");
    case "array":
      if (!Array.isArray(value)) return mismatch(value, at, goTypeName(s));
      for (let i = 0; i < value.length; i++) if (value[i] === null) value[i] = zeroValue(s.items);
      return undefined;
    case "object":
      if (typeof value !== "object" || Array.isArray(value)) return mismatch(value, at, goTypeName(s));
      return undefined;
  }
  return undefined;
}

