/**
 * CEL types from a structural schema, as upstream's apiserver/pkg/cel/common
 * SchemaDeclType: an object with properties is a declared type whose fields
 * the checker knows (a rule naming a missing field does not compile), an
 * object with additionalProperties a map<string, T>, an array a list<T>,
 * int-or-string and schemaless (preserve-unknown-fields) values dyn. Values go
 * in converted by the same schema: integers as bigint, objects as instances
 * of their declared type, maps as Map.
 */
import type { JSONSchemaProps, ValidationRule } from "kubernetes-types/apiextensions/v1.js";
import { Environment as EnvironmentClass, type Environment } from "@marcbachmann/cel-js";

/** A structural schema node with the x-kubernetes-* extensions (kubernetes-types leaves them out). */
export interface Schema extends Omit<JSONSchemaProps, "properties" | "items" | "additionalProperties"> {
  properties?: { [name: string]: Schema };
  items?: Schema;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: string;
  "x-kubernetes-validations"?: ValidationRule[];
}

/** A declared object type: its CEL name, its fields' types and the class its values are instances of. */
interface ObjectType {
  name: string;
  fields: Record<string, string>;
  ctor: new (fields: Map<string, unknown>) => object;
}

/** Values of a declared object type: the object's fields as own properties, as the library reads them. */
function objectClass(): new (fields: Map<string, unknown>) => object {
  return class {
    constructor(fields: Map<string, unknown>) {
      for (const [k, v] of fields) Object.defineProperty(this, k, { value: v, enumerable: true });
    }
  };
}

const ROOT_META: Schema = { type: "object", properties: { name: { type: "string" }, generateName: { type: "string" } } };

/**
 * The schema rules see at a resource's root or an embedded resource:
 * apiVersion, kind and metadata (only name and generateName, as upstream's
 * WithTypeAndObjectMeta) beside what the schema declares.
 */
export function withTypeAndObjectMeta(s: Schema): Schema {
  return { ...s, type: "object", properties: { ...(s.properties ?? {}), apiVersion: { type: "string" }, kind: { type: "string" }, metadata: ROOT_META } };
}

/** Whether values of this schema are dyn: int-or-string, or no structure to type them by. */
export function isDyn(s: Schema | undefined): boolean {
  if (!s) return true;
  if (s["x-kubernetes-int-or-string"]) return true;
  if (s.type === "object") return !s.properties && !s.additionalProperties && s["x-kubernetes-preserve-unknown-fields"] === true;
  return !s.type;
}

/**
 * The types of one schema: declares them in an environment (before the
 * environment is cloned per rule) and converts JSON values into them.
 */
export class SchemaTypes {
  private readonly objects = new Map<Schema, ObjectType>();
  private readonly names = new Set<string>();
  private readonly roots = new Map<Schema, Schema>();

  /** The CEL type of values of s, declaring object types as needed; path names the type after where it is. */
  typeOf(s: Schema | undefined, path: string): string {
    if (!s || isDyn(s)) return "dyn";
    switch (s.type) {
      case "integer": return "int";
      case "number": return "double";
      case "boolean": return "bool";
      case "string": return stringFormatType(s.format);
      case "array": return `list<${this.typeOf(s.items, `${path}.@items`)}>`;
      case "object": {
        if (s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) {
          return `map<string, ${this.typeOf(s.additionalProperties, `${path}.@value`)}>`;
        }
        if (!s.properties) return "map<string, dyn>";
        return this.declareObject(s, path).name;
      }
      default: return "dyn";
    }
  }

  private declareObject(s: Schema, path: string): ObjectType {
    let t = this.objects.get(s);
    if (t) return t;
    // Type names are identifiers of their own; dots would read as a qualified name.
    let name = `Object${path.replace(/[^A-Za-z0-9]+/g, "_")}`;
    while (this.names.has(name)) name += "_";
    this.names.add(name);
    t = { name, fields: {}, ctor: objectClass() };
    this.objects.set(s, t);
    for (const [k, child] of Object.entries(s.properties ?? {})) {
      const childSchema = child["x-kubernetes-embedded-resource"] ? this.rootSchema(child) : child;
      t.fields[k] = this.typeOf(childSchema, `${path}.${k}`);
    }
    return t;
  }

  /** Declares every object type met so far in env, with equality by value (the library's own compares identity). */
  declare(env: Environment): void {
    for (const t of this.objects.values()) {
      env.registerType(t.name, { ctor: t.ctor, fields: t.fields });
      env.registerOperator(`${t.name} == ${t.name}`, (a: unknown, b: unknown) => celEqual(a, b));
    }
  }

  /** The CEL value of a JSON value of schema s (undefined stays undefined: an absent field). */
  toCel(value: unknown, s: Schema | undefined): unknown {
    if (value === undefined || value === null) return value;
    if (!s || isDyn(s)) return dynToCel(value);
    switch (s.type) {
      case "integer": return typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
      case "number": return value;
      case "string": return typeof value === "string" ? formattedToCel(value, s.format) : value;
      case "array": return Array.isArray(value) ? value.map((v) => this.toCel(v, s.items)) : value;
      case "object": {
        if (typeof value !== "object" || Array.isArray(value)) return value;
        const o = value as { [k: string]: unknown };
        if (s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) {
          const ap = s.additionalProperties;
          return new Map(Object.entries(o).map(([k, v]) => [k, this.toCel(v, ap)]));
        }
        if (!s.properties) return new Map(Object.entries(o).map(([k, v]) => [k, dynToCel(v)]));
        const t = this.objects.get(s);
        if (!t) return dynToCel(value);
        const fields = new Map<string, unknown>();
        for (const [k, child] of Object.entries(s.properties)) {
          if (o[k] === undefined) continue;
          fields.set(k, this.toCel(o[k], child["x-kubernetes-embedded-resource"] ? this.rootSchema(child) : child));
        }
        return new t.ctor(fields);
      }
      default: return value;
    }
  }

  /** withTypeAndObjectMeta of s, the same object each time (types are found by their schema object). */
  rootSchema(s: Schema): Schema {
    let r = this.roots.get(s);
    if (!r) { r = withTypeAndObjectMeta(s); this.roots.set(s, r); }
    return r;
  }
}

/** Strings of some formats are values of their own CEL type, as upstream's: timestamps, durations and bytes. */
function stringFormatType(format: string | undefined): string {
  switch (format) {
    case "date": case "date-time": return "google.protobuf.Timestamp";
    case "duration": return "google.protobuf.Duration";
    case "byte": return "bytes";
    default: return "string";
  }
}

/** The library makes durations only from CEL's own duration(); one environment does that for every schema. */
let durations: Environment | undefined;

/** A formatted string as its CEL value; a string that does not parse stays a string (schema validation reports it). */
function formattedToCel(value: string, format: string | undefined): unknown {
  switch (format) {
    case "date": case "date-time": {
      const d = new Date(value);
      return Number.isNaN(d.getTime()) ? value : d;
    }
    case "duration":
      try {
        durations ??= new EnvironmentClass().registerVariable("s", "string");
        return durations.evaluate("duration(s)", { s: value });
      } catch {
        return value;
      }
    case "byte": return new Uint8Array(Buffer.from(value, "base64"));
    default: return value;
  }
}

/** A schemaless JSON value in CEL: integers as int, other numbers as double, objects as maps. */
export function dynToCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(dynToCel);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dynToCel(v)]));
  return value;
}

/** CEL equality of converted values: lists in order, maps and objects by their entries, numbers across int and double. */
export function celEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number")) return Number(a) === Number(b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => celEqual(v, b[i]));
  }
  const ea = entries(a), eb = entries(b);
  if (ea.size !== eb.size) return false;
  for (const [k, v] of ea) if (!eb.has(k) || !celEqual(v, eb.get(k))) return false;
  return true;
}

function entries(o: object): Map<unknown, unknown> {
  return o instanceof Map ? o : new Map(Object.entries(o));
}
