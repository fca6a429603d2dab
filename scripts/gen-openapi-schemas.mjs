// Builds OpenAPI v3 component schemas for the built-in kinds from the type
// definitions and doc comments of the kubernetes-types package, at build time.
// The API server serves them for `kubectl explain` and checks unknown fields
// against them. Output: generated/schemas.json.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import ts from "typescript";

const require = createRequire(import.meta.url);
const root = dirname(require.resolve("kubernetes-types/package.json"));

// Module path in kubernetes-types -> upstream's schema package prefix.
function packageOf(mod) {
  if (mod === "meta/v1") return "io.k8s.apimachinery.pkg.apis.meta.v1";
  if (mod === "api/resource") return "io.k8s.apimachinery.pkg.api.resource";
  if (mod === "runtime") return "io.k8s.apimachinery.pkg.runtime";
  if (mod.startsWith("apiextensions/")) return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${mod.split("/")[1]}`;
  return `io.k8s.api.${mod.replace("/", ".")}`;
}

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith(".d.ts") && name !== "version.d.ts") out.push(p);
  }
  return out;
}

const schemas = {};
const aliases = {};

function docOf(node, sf) {
  const ranges = ts.getLeadingCommentRanges(sf.text, node.pos) ?? [];
  const last = ranges[ranges.length - 1];
  if (!last) return undefined;
  const text = sf.text.slice(last.pos, last.end);
  if (!text.startsWith("/**")) return undefined;
  return text.replace(/^\/\*\*\s?/, "").replace(/\s*\*\/$/, "").split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").trim();
}

for (const file of files(root)) {
  const mod = relative(root, file).replace(/\.d\.ts$/, "");
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const imports = {};
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      const from = join(dirname(mod), st.moduleSpecifier.text).replace(/\\/g, "/");
      for (const el of st.importClause.namedBindings.elements) imports[el.name.text] = from;
    }
  }
  const refName = (name) => `${packageOf(imports[name] ?? mod)}.${name}`;
  const typeSchema = (t) => {
    if (!t) return {};
    switch (t.kind) {
      case ts.SyntaxKind.StringKeyword: return { type: "string" };
      case ts.SyntaxKind.NumberKeyword: return { type: "integer", format: "int32" };
      case ts.SyntaxKind.BooleanKeyword: return { type: "boolean" };
      case ts.SyntaxKind.AnyKeyword: case ts.SyntaxKind.UnknownKeyword: return {};
      case ts.SyntaxKind.LiteralType: return { type: "string" };
    }
    if (ts.isArrayTypeNode(t)) return { type: "array", items: typeSchema(t.elementType) };
    if (ts.isUnionTypeNode(t)) {
      const kinds = t.types.map((x) => x.kind);
      if (kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) return { "x-kubernetes-int-or-string": true };
      return typeSchema(t.types[0]);
    }
    if (ts.isTypeLiteralNode(t)) {
      const idx = t.members.find((m) => ts.isIndexSignatureDeclaration(m));
      return idx ? { type: "object", additionalProperties: typeSchema(idx.type) } : { type: "object" };
    }
    if (ts.isTypeReferenceNode(t)) {
      const name = t.typeName.getText(sf);
      if (name === "Array" && t.typeArguments?.length) return { type: "array", items: typeSchema(t.typeArguments[0]) };
      if (name === "Record" && t.typeArguments?.length === 2) return { type: "object", additionalProperties: typeSchema(t.typeArguments[1]) };
      return { $ref: `#/components/schemas/${refName(name)}` };
    }
    return {};
  };
  for (const st of sf.statements) {
    if (ts.isTypeAliasDeclaration(st)) {
      aliases[`${packageOf(mod)}.${st.name.text}`] = { ...typeSchema(st.type), description: docOf(st, sf) };
    }
    if (!ts.isInterfaceDeclaration(st)) continue;
    const properties = {};
    const required = [];
    for (const m of st.members) {
      if (!ts.isPropertySignature(m) || !m.name) continue;
      const name = m.name.getText(sf).replace(/^"|"$/g, "");
      let s = typeSchema(m.type);
      if (s.$ref) s = { allOf: [s] };
      const description = docOf(m, sf);
      if (description) s.description = description;
      if (!m.questionToken) required.push(name);
      properties[name] = s;
    }
    const schema = { type: "object", properties };
    const description = docOf(st, sf);
    if (description) schema.description = description;
    if (required.length) schema.required = required;
    schemas[`${packageOf(mod)}.${st.name.text}`] = schema;
  }
}

// Aliases (Time, Quantity, MicroTime) become schemas of their own, as upstream has them.
for (const [name, s] of Object.entries(aliases)) if (!schemas[name]) schemas[name] = s;

// Upstream's JSONSchemaProps carries the x-kubernetes-* extensions as fields of its own
// (json tags `x-kubernetes-…`); kubernetes-types leaves them out, and without them every CRD
// schema that uses one would be refused by strict validation or lose it to pruning.
addSchemaExtensions("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1");

function addSchemaExtensions(pkg) {
  const props = schemas[`${pkg}.JSONSchemaProps`]?.properties;
  if (!props) return;
  const bool = (description) => ({ type: "boolean", description });
  props["x-kubernetes-embedded-resource"] = bool("x-kubernetes-embedded-resource defines that the value is an embedded Kubernetes runtime.Object, with TypeMeta and ObjectMeta. The type must be object. It is allowed to further restrict the embedded object. kind, apiVersion and metadata are validated automatically. x-kubernetes-preserve-unknown-fields is allowed to be true, but does not have to be if the object is fully specified (up to kind, apiVersion, metadata).");
  props["x-kubernetes-int-or-string"] = bool("x-kubernetes-int-or-string specifies that this value is either an integer or a string. If this is true, an empty type is allowed and type as child of anyOf is permitted if following one of the following patterns:\n\n1) anyOf:\n   - type: integer\n   - type: string\n2) allOf:\n   - anyOf:\n     - type: integer\n     - type: string\n   - ... zero or more");
  props["x-kubernetes-list-map-keys"] = { type: "array", items: { type: "string" }, description: "x-kubernetes-list-map-keys annotates an array with the x-kubernetes-list-type `map` by specifying the keys used as the index of the map.\n\nThis tag MUST only be used on lists that have the \"x-kubernetes-list-type\" extension set to \"map\". Also, the values specified for this attribute must be a scalar typed field of the child structure (no nesting is supported).\n\nThe properties specified must either be required or have a default value, to ensure those properties are present for all list items." };
  props["x-kubernetes-list-type"] = { type: "string", description: "x-kubernetes-list-type annotates an array to further describe its topology. This extension must only be used on lists and may have 3 possible values:\n\n1) `atomic`: the list is treated as a single entity, like a scalar.\n     Atomic lists will be entirely replaced when updated. This extension\n     may be used on any type of list (struct, scalar, ...).\n2) `set`:\n     Sets are lists that must not have multiple items with the same value. Each\n     value must be a scalar, an object with x-kubernetes-map-type `atomic` or an\n     array with x-kubernetes-list-type `atomic`.\n3) `map`:\n     These lists are like maps in that their elements have a non-index key\n     used to identify them. Order is preserved upon merge. The map tag\n     must only be used on a list with elements of type object.\nDefaults to atomic for arrays." };
  props["x-kubernetes-map-type"] = { type: "string", description: "x-kubernetes-map-type annotates an object to further describe its topology. This extension must only be used when type is object and may have 2 possible values:\n\n1) `granular`:\n     These maps are actual maps (key-value pairs) and each fields are independent\n     from each other (they can each be manipulated by separate actors). This is\n     the default behaviour for all maps.\n2) `atomic`: the list is treated as a single entity, like a scalar.\n     Atomic maps will be entirely replaced when updated." };
  props["x-kubernetes-preserve-unknown-fields"] = bool("x-kubernetes-preserve-unknown-fields stops the API server decoding step from pruning fields which are not specified in the validation schema. This affects fields recursively, but switches back to normal pruning behaviour if nested properties or additionalProperties are specified in the schema. This can either be true or undefined. False is forbidden.");
  props["x-kubernetes-validations"] = { type: "array", items: { $ref: `#/components/schemas/${pkg}.ValidationRule` }, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["rule"], description: "x-kubernetes-validations describes a list of validation rules written in the CEL expression language." };
}

// Upstream's RuleWithOperations embeds Rule (apiGroups, apiVersions, resources, scope) inline;
// kubernetes-types keeps only the fields declared on it, so `resources` and `scope` of every
// webhook and policy rule would be refused by strict validation or lost to pruning.
for (const version of ["v1", "v1beta1", "v1alpha1"]) addRuleFields(`io.k8s.api.admissionregistration.${version}`);

function addRuleFields(pkg) {
  for (const name of ["RuleWithOperations", "NamedRuleWithOperations"]) {
    const props = schemas[`${pkg}.${name}`]?.properties;
    if (!props) continue;
    props.resources ??= { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "atomic", description: "Resources is a list of resources this rule applies to.\n\nFor example: 'pods' means pods. 'pods/log' means the log subresource of pods. '*' means all resources, but not subresources. 'pods/*' means all subresources of pods. '*/scale' means all scale subresources. '*/*' means all resources and their subresources.\n\nIf wildcard is present, the validation rule will ensure resources do not overlap with each other.\n\nDepending on the enclosing object, subresources might not be allowed. Required." };
    props.scope ??= { type: "string", description: "scope specifies the scope of this rule. Valid values are \"Cluster\", \"Namespaced\", and \"*\" \"Cluster\" means that only cluster-scoped resources will match this rule. Namespace API objects are cluster-scoped. \"Namespaced\" means that only namespaced resources will match this rule. \"*\" means that there are no scope restrictions. Subresources match the scope of their parent resource. Default is \"*\"." };
  }
}

// kubernetes-types has one `number` for every Go integer and float, and one `string`
// for base64 bytes. @kubernetes/client-node (generated from upstream's OpenAPI) keeps each
// field's format: int64, double, byte. Without it (a production install), fields stay int32.
await addFormats();

async function addFormats() {
  let models;
  try {
    models = await import("@kubernetes/client-node");
  } catch {
    console.warn("@kubernetes/client-node not found: integer fields are all int32 in generated/schemas.json");
    return;
  }
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  for (const [name, schema] of Object.entries(schemas)) {
    const parts = name.split(".");
    const kind = parts[parts.length - 1];
    const version = parts[parts.length - 2];
    const group = name.startsWith("io.k8s.api.") ? parts[3] : name.includes("apiextensions") ? "apiextensions" : "";
    const model = [group && `${cap(group)}${cap(version)}${kind}`, `${cap(version)}${kind}`].map((m) => m && models[m]).find((m) => m?.getAttributeTypeMap);
    if (!model || !schema.properties) continue;
    for (const attr of model.getAttributeTypeMap()) {
      const prop = schema.properties[attr.baseName];
      if (!prop || !["int64", "double", "byte"].includes(attr.format)) continue;
      const leaf = prop.type === "array" ? prop.items : prop.type === "object" && prop.additionalProperties ? prop.additionalProperties : prop;
      if (!leaf || typeof leaf !== "object") continue;
      if (attr.format === "byte" && leaf.type === "string") leaf.format = "byte";
      if (attr.format === "int64" && leaf.type === "integer") leaf.format = "int64";
      if (attr.format === "double" && leaf.type === "integer") Object.assign(leaf, { type: "number", format: "double" });
    }
  }
}
const out = join(dirname(new URL(import.meta.url).pathname), "..", "generated");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "schemas.json"), JSON.stringify(schemas));
console.log(`generated ${Object.keys(schemas).length} OpenAPI schemas from kubernetes-types`);
