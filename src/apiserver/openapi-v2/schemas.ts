/**
 * Schemas as OpenAPI v2 (swagger 2.0) definitions: the built-in kinds'
 * OpenAPI v3 component schemas rewritten into v2's narrower dialect, and each
 * custom resource's structural schema as upstream's CRD OpenAPI builder
 * publishes it for v2 (ToStructuralOpenAPIV2: no oneOf/anyOf/not, nullable and
 * int-or-string values untyped, objects that keep unknown fields without
 * properties, since kubectl's v2 validation would refuse what they keep), with
 * apiVersion, kind and metadata added and the kind's group-version-kind.
 */
import { listStrategy } from "../../api/patch/strategic-merge-patch.js";
import type { ResourceInfo } from "../../api/resources.js";
import { selectableFieldsExtension } from "../registry/apiextensions/customresourcedefinitions/selectable-fields.js";

/** A JSON Schema node, free-form: what each keyword holds is checked where it is read. */
export type SchemaNode = { [keyword: string]: unknown };

const V3_REF = "#/components/schemas/";
export const V2_REF = "#/definitions/";

const isNode = (v: unknown): v is SchemaNode => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Definitions that upstream's v2 leaves untyped, because a value of them may
 * be of several JSON types (kubectl's v2 validation would otherwise refuse a
 * boolean `additionalProperties` in a CRD manifest, say).
 */
const UNTYPED_IN_V2 = new Set([
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
]);

/** A built-in v3 component schema as its v2 definition. */
export function builtinDefinition(name: string, v3: SchemaNode): SchemaNode {
  if (UNTYPED_IN_V2.has(name)) return typeof v3.description === "string" ? { description: v3.description } : {};
  const out = v3ToV2(v3);
  if (isNode(out.properties)) addPatchStrategies(name, out.properties);
  return out;
}

/** Where a type's fields sit, as the patch strategies of strategic-merge-patch.ts tell them apart. */
function fieldPathOf(definition: string): string[] {
  const type = definition.slice(definition.lastIndexOf(".") + 1);
  if (type.endsWith("Container")) return ["spec", "containers"];
  if (type === "ServiceSpec") return ["spec"];
  if (type.endsWith("Status")) return ["status"];
  if (type === "ServiceAccount") return [];
  return [type];
}

/**
 * Upstream's v2 marks how each list merges in a strategic merge patch
 * (x-kubernetes-patch-strategy and -merge-key, from its Go struct tags):
 * kubectl computes `apply` patches from them once a kind has a definition
 * here, so they must agree with how the server merges (the same table).
 */
function addPatchStrategies(definition: string, properties: SchemaNode): void {
  const path = fieldPathOf(definition);
  for (const [field, prop] of Object.entries(properties)) {
    if (!isNode(prop) || prop.type !== "array") continue;
    const strategy = listStrategy(path, field);
    if (!strategy) continue;
    if ("set" in strategy) { prop["x-kubernetes-patch-strategy"] = "merge"; continue; }
    prop["x-kubernetes-patch-strategy"] = strategy.retainKeys ? "merge,retainKeys" : "merge";
    prop["x-kubernetes-patch-merge-key"] = strategy.mergeKey;
  }
}

function v3ToV2(node: SchemaNode): SchemaNode {
  // `allOf: [{$ref}]` beside a description is v3's way of describing a reference; v2 puts them side by side.
  const allOf = node.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isNode(allOf[0]) && typeof allOf[0].$ref === "string") {
    const { allOf: _drop, ...rest } = node;
    return v3ToV2({ ...rest, $ref: allOf[0].$ref });
  }
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    switch (k) {
      case "$ref": out.$ref = String(v).replace(V3_REF, V2_REF); break;
      case "properties":
        if (isNode(v) && Object.keys(v).length) out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, isNode(s) ? v3ToV2(s) : s]));
        break;
      case "items": case "additionalProperties": out[k] = isNode(v) ? v3ToV2(v) : v; break;
      case "allOf": if (Array.isArray(v)) out.allOf = v.map((s) => (isNode(s) ? v3ToV2(s) : s)); break;
      case "oneOf": case "anyOf": case "not": case "nullable": break;
      case "x-kubernetes-int-or-string":
        // v2 has no union type: upstream's IntOrString is a string of format int-or-string, which kubectl accepts as either.
        if (v === true) { out.type = "string"; out.format = "int-or-string"; }
        break;
      default: out[k] = v;
    }
  }
  return out;
}

/** Formats upstream keeps in published CRD schemas (StripUnsupportedFormatsPostProcess); others are dropped. */
const SUPPORTED_FORMATS = new Set([
  "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
  "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration", "datetime", "date-time",
]);
const NUMBER_FORMATS = new Set(["int32", "int64", "float", "double"]);

/** A structural schema node as upstream's ToStructuralOpenAPIV2 leaves it. */
function crdNodeToV2(node: SchemaNode): SchemaNode {
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "oneOf" || k === "anyOf" || k === "not" || k === "allOf" || k === "nullable") continue;
    if (k === "properties" && isNode(v)) out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, isNode(s) ? crdNodeToV2(s) : s]));
    else if ((k === "items" || k === "additionalProperties") && isNode(v)) out[k] = crdNodeToV2(v);
    else if (k === "format") {
      const number = node.type === "integer" || node.type === "number";
      if (typeof v === "string" && (SUPPORTED_FORMATS.has(v) || (number && NUMBER_FORMATS.has(v)))) out.format = v;
    } else out[k] = v;
  }
  if (node.nullable === true) {
    // Untyped values break kubectl when items or properties are set.
    delete out.type;
    delete out.items;
    delete out.properties;
  }
  if (node["x-kubernetes-preserve-unknown-fields"] === true) {
    delete out.items;
    delete out.properties;
  }
  // kubectl copes neither with an array without items nor with an object that keeps unknown fields: both go untyped.
  if (out.type === "array" && out.items === undefined) delete out.type;
  if (node["x-kubernetes-preserve-unknown-fields"] === true && out.type === "object") delete out.type;
  // A nullable property may be null, so it cannot be required in v2.
  if (Array.isArray(out.required) && isNode(node.properties)) {
    const props = node.properties;
    out.required = out.required.filter((f) => {
      const prop = props[String(f)];
      return !(isNode(prop) && prop.nullable === true);
    });
    if (!(out.required as unknown[]).length) delete out.required;
  }
  if (isNode(node.additionalProperties) && node.additionalProperties.nullable === true) delete out.required;
  return out;
}

const API_VERSION = {
  description: "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
  type: "string",
};
const KIND = {
  description: "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
  type: "string",
};
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

const gvk = (r: ResourceInfo, kind = r.kind) => [{ group: r.group, kind, version: r.version }];

/** A custom resource's v2 definition, as upstream's builder makes it for one served version. */
export function customResourceDefinition(r: ResourceInfo): SchemaNode {
  const schema = r.crd?.schema;
  const preserveRoot = !isNode(schema) || schema["x-kubernetes-preserve-unknown-fields"] === true || r.crd?.preserveUnknownFields === true;
  // With unknown fields kept at the root, kubectl's v2 validation would refuse anything beyond listed properties: publish an open object.
  const selectable = r.crd?.selectableFields ? { "x-kubernetes-selectable-fields": selectableFieldsExtension(r.crd) } : {};
  if (preserveRoot) return { type: "object", "x-kubernetes-group-version-kind": gvk(r), ...selectable };
  const out = crdNodeToV2(schema);
  out.properties = {
    ...(isNode(out.properties) ? out.properties : {}),
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { $ref: V2_REF + OBJECT_META, description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
  };
  out["x-kubernetes-group-version-kind"] = gvk(r);
  Object.assign(out, selectable);
  return out;
}

/** The list kind of a custom resource (`FooList`). */
export function customResourceListDefinition(r: ResourceInfo, itemName: string): SchemaNode {
  return {
    description: `${r.kind}List is a list of ${r.kind}`,
    type: "object",
    required: ["items"],
    properties: {
      apiVersion: API_VERSION,
      items: { description: `List of ${r.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, type: "array", items: { $ref: V2_REF + itemName } },
      kind: KIND,
      metadata: { $ref: V2_REF + LIST_META, description: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds" },
    },
    "x-kubernetes-group-version-kind": gvk(r, `${r.kind}List`),
  };
}
