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
