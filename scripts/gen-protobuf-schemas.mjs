#!/usr/bin/env node
/**
 * Writes src/apiserver/protobuf/schemas.generated.ts: the wire schemas of every
 * built-in Kubernetes type, read from the Go struct definitions of upstream's
 * API packages (their `json` and `protobuf` struct tags, pointer-ness, slices,
 * maps and named types). Field numbers and names are facts of the wire format;
 * this script only reads them, it shares no code with upstream's generators.
 *
 *   node scripts/gen-protobuf-schemas.mjs --tag v0.32.9 \
 *     --api DIR --apimachinery DIR --apiextensions DIR --aggregator DIR [--out FILE]
 *
 * Each DIR is a git directory (bare or not) of k8s.io/api, k8s.io/apimachinery,
 * k8s.io/apiextensions-apiserver and k8s.io/kube-aggregator; files are read at
 * the tag with `git show`, so no work tree is needed.
 *
 * Output format (see schema.ts for how the decoder reads it): a message is
 * { fieldNumber: "jsonName:type" }, type being a scalar (string, bytes, int,
 * uint, bool, double, float), a wrapper with its own JSON form (time,
 * microtime, duration, quantity, intstr, rawext, rawjson), a message name
 * "<group>/<version>.<Type>", `map<K,V>` or `list<T>` (a named slice type,
 * sent as a message whose field 1 repeats T). Prefix `[]` repeated, `~` an
 * embedded struct inlined in JSON; suffix `!` keeps a zero value (a pointer
 * field, or one whose JSON tag has no omitempty, as Go's encoding/json would).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { argv, exit } from "node:process";

const args = {};
for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
for (const k of ["tag", "api", "apimachinery", "apiextensions", "aggregator"]) {
  if (!args[k]) { console.error(`missing --${k}; usage: see the comment at the top of this script`); exit(2); }
}
const out = args.out ?? "src/apiserver/protobuf/schemas.generated.ts";

/** Import path prefix → [git dir, path inside the repository]. */
const repos = [
  ["k8s.io/api/", args.api, ""],
  ["k8s.io/apimachinery/", args.apimachinery, ""],
  ["k8s.io/apiextensions-apiserver/", args.apiextensions, ""],
  ["k8s.io/kube-aggregator/", args.aggregator, ""],
];

/** Short, unique package ids used in message names. */
function packageId(importPath) {
  const m = /^k8s\.io\/api\/(.+)$/.exec(importPath);
  if (m) return m[1];
  const short = {
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta/v1",
    "k8s.io/apimachinery/pkg/api/resource": "resource",
    "k8s.io/apimachinery/pkg/util/intstr": "intstr",
    "k8s.io/apimachinery/pkg/runtime": "runtime",
    "k8s.io/apimachinery/pkg/types": "types",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1": "apiextensions/v1",
    "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1": "apiregistration/v1",
  }[importPath];
  if (!short) throw new Error(`no package id for ${importPath}`);
  return short;
}

/** Types whose JSON form is not their struct's: the decoder has a reader for each. */
const wrappers = {
  "meta/v1.Time": "time",
  "meta/v1.MicroTime": "microtime",
  "meta/v1.Duration": "duration",
  "meta/v1.FieldsV1": "rawjson",
  "resource.Quantity": "quantity",
  "intstr.IntOrString": "intstr",
  "runtime.RawExtension": "rawext",
  "apiextensions/v1.JSON": "rawjson",
};

const git = (dir, ...a) => execFileSync("git", ["-C", dir, ...a], { encoding: "utf8", maxBuffer: 64 << 20 });

function locate(importPath) {
  for (const [prefix, dir] of repos) if (importPath.startsWith(prefix)) return [dir, importPath.slice(prefix.length)];
  throw new Error(`no snapshot for ${importPath}`);
}

/** Go source without comments (string and raw-string literals kept). */
function stripComments(src) {
  let outText = "";
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === "`" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c === '"' && src[j] === "\\" ? 2 : 1;
      outText += src.slice(i, j + 1); i = j + 1;
    } else if (src.startsWith("//", i)) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2); i = end < 0 ? src.length : end + 2;
    } else { outText += c; i++; }
  }
  return outText;
}

const packages = new Map(); // import path → { id, group, structs: Map, named: Map, imports: Map }

function loadPackage(importPath) {
  let pkg = packages.get(importPath);
  if (pkg) return pkg;
  const [dir, path] = locate(importPath);
  pkg = { importPath, id: packageId(importPath), group: undefined, structs: new Map(), named: new Map(), files: [] };
  packages.set(importPath, pkg);
  const files = git(dir, "ls-tree", "--name-only", `${args.tag}:${path}`).split("\n")
    .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go") && !f.startsWith("zz_generated") && !f.includes("generated") && !f.endsWith("_fuzz.go"));
  for (const f of files) {
    const src = stripComments(git(dir, "show", `${args.tag}:${path}/${f}`));
    const imports = new Map();
    for (const m of src.matchAll(/^\s*(?:import\s+)?(\w+\s+)?"([\w./-]+)"\s*$/gm)) {
      const p = m[2];
      imports.set(m[1] ? m[1].trim() : p.split("/").pop(), p);
    }
    const group = /const\s+GroupName\s*=\s*"([^"]*)"/.exec(src);
    if (group) pkg.group = group[1];
    const file = { imports };
    for (const m of src.matchAll(/^type\s+(\w+)\s+struct\s*\{/gm)) {
      let depth = 1, i = m.index + m[0].length;
      const start = i;
      for (; i < src.length && depth; i++) { if (src[i] === "{") depth++; else if (src[i] === "}") depth--; }
      pkg.structs.set(m[1], { file, body: src.slice(start, i - 1) });
    }
    for (const m of src.matchAll(/^type\s+(\w+)\s+=?\s*([^\s{]+)\s*$/gm)) pkg.named.set(m[1], { file, type: m[2] });
  }
  return pkg;
}

/** Resolves a Go type expression in a package to { kind, ... }. */
function resolve(pkg, file, expr) {
  if (expr.startsWith("*")) return { ...resolve(pkg, file, expr.slice(1)), pointer: true };
  if (expr === "[]byte") return { kind: "scalar", type: "bytes" };
  if (expr.startsWith("[]")) return { kind: "slice", elem: resolve(pkg, file, expr.slice(2)) };
  const map = /^map\[([^\]]+)\](.+)$/.exec(expr);
  if (map) return { kind: "map", key: resolve(pkg, file, map[1]), value: resolve(pkg, file, map[2]) };
  const builtin = {
    string: "string", bool: "bool", int: "int", int32: "int", int64: "int", uint32: "uint", uint64: "uint", uint8: "uint",
    float64: "double", float32: "float", byte: "uint",
  }[expr];
  if (builtin) return { kind: "scalar", type: builtin };
  let target = pkg, name = expr;
  const dot = expr.indexOf(".");
  if (dot > 0) {
    const p = file.imports.get(expr.slice(0, dot));
    if (!p) throw new Error(`${pkg.id}: unknown import in ${expr}`);
    target = loadPackage(p); name = expr.slice(dot + 1);
  }
  const qualified = `${target.id}.${name}`;
  if (wrappers[qualified]) return { kind: "scalar", type: wrappers[qualified] };
  if (target.structs.has(name)) return { kind: "message", name: qualified, pkg: target, type: name };
  const named = target.named.get(name);
  if (named) return { ...resolve(target, named.file, named.type), named: qualified };
  throw new Error(`${pkg.id}: cannot resolve type ${expr}`);
}

const messages = new Map(); // qualified name → { no: spec }
const pending = [];

function typeSpec(t, repeatedTag) {
  switch (t.kind) {
    case "scalar": return t.type;
    case "message": need(t); return t.name;
    case "map": return `map<${typeSpec(t.key, false)},${t.value.kind === "slice" ? `list<${typeSpec(t.value.elem, true)}>` : typeSpec(t.value, false)}>`; // protobuf maps cannot hold a repeated value
    // A named slice type (metav1.Verbs) travels as a message that repeats field 1; a plain one repeats the field.
    case "slice": return t.named && !repeatedTag ? `list<${typeSpec(t.elem, true)}>` : `[]${typeSpec(t.elem, true)}`;
  }
  throw new Error(`unknown type ${JSON.stringify(t)}`);
}

function need(t) {
  if (!messages.has(t.name) && !pending.some((p) => p.name === t.name)) pending.push(t);
}

function buildMessage(pkg, typeName) {
  const { file, body } = pkg.structs.get(typeName);
  const fields = {};
  for (const line of body.split("\n")) {
    const m = /^\s*(?:(\w+)\s+)?([^\s`]+)\s*`([^`]*)`/.exec(line);
    if (!m) continue;
    const [, fieldName, goType, tags] = m;
    const pb = /protobuf:"([^"]*)"/.exec(tags);
    if (!pb || pb[1] === "-") continue;
    const [wire, no, ...rest] = pb[1].split(",");
    const json = /json:"([^"]*)"/.exec(tags)?.[1] ?? fieldName ?? "";
    const [jsonName, ...jsonOpts] = json.split(",");
    if (jsonName === "-") continue;
    const t = resolve(pkg, file, goType);
    const repeatedTag = rest.includes("rep");
    // An embedded struct without a JSON name is inlined (Go's encoding/json rule).
    if (!fieldName && jsonName === "") {
      if (t.kind !== "message") throw new Error(`${pkg.id}.${typeName}: inline field of type ${goType}`);
      need(t);
      fields[no] = `~${t.name}`;
      continue;
    }
    const spec = typeSpec(t, repeatedTag);
    const keepZero = t.kind === "scalar" && (t.pointer || !jsonOpts.includes("omitempty"));
    fields[no] = `${jsonName || fieldName || goType.replace(/^\*/, "").split(".").pop()}:${spec}${keepZero ? "!" : ""}`;
    void wire;
  }
  return fields;
}

// Every GA group/version of k8s.io/api, and the other API groups Skiff serves.
const apiDirs = git(args.api, "ls-tree", "-d", "-r", "--name-only", args.tag).split("\n").filter((d) => /^[a-z]+\/v\d+$/.test(d));
// [import path, only these types]: pods/eviction still takes policy/v1beta1's Eviction, which clients before 1.22 send.
const roots = [
  ...apiDirs.map((d) => [`k8s.io/api/${d}`]),
  ["k8s.io/apimachinery/pkg/apis/meta/v1"],
  ["k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"],
  ["k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"],
  ["k8s.io/api/policy/v1beta1", ["Eviction"]],
];
const kinds = {};
for (const [root, only] of roots) {
  const pkg = loadPackage(root);
  const version = root.split("/").pop();
  const apiVersion = pkg.group ? `${pkg.group}/${version}` : version;
  for (const [name, { body }] of pkg.structs) {
    if (!/protobuf:"/.test(body) || (only && !only.includes(name))) continue;
    need({ name: `${pkg.id}.${name}`, pkg, type: name });
    // A kind is a struct that embeds TypeMeta: runtime.Unknown's TypeMeta names it.
    if (/^\s*metav1\.TypeMeta\s+`json:",inline"/m.test(body) || (pkg.id === "meta/v1" && /^\s*TypeMeta\s+`json:",inline"/m.test(body))) {
      kinds[`${apiVersion} ${name}`] = `${pkg.id}.${name}`;
    }
  }
}
while (pending.length) {
  const t = pending.shift();
  if (wrappers[t.name]) continue;
  messages.set(t.name, buildMessage(t.pkg, t.type));
}

const sorted = [...messages.keys()].sort();
const lines = [
  "// Generated by scripts/gen-protobuf-schemas.mjs from the Go type definitions of",
  `// k8s.io/api, k8s.io/apimachinery, k8s.io/apiextensions-apiserver and k8s.io/kube-aggregator at ${args.tag}.`,
  "// Do not edit: run the script again (its header says how) and commit the result.",
  "/* eslint-disable */",
  'import type { MessageSchema } from "./schema.js";',
  "",
  "/** Wire schemas by message name (\"<group>/<version>.<Type>\"). */",
  "export const messages: Record<string, MessageSchema> = {",
  ...sorted.map((n) => `  ${JSON.stringify(n)}: { ${Object.entries(messages.get(n)).map(([no, s]) => `${no}: ${JSON.stringify(s)}`).join(", ")} },`),
  "};",
  "",
  "/** The message of each kind, by runtime.Unknown's TypeMeta: \"<apiVersion> <kind>\". */",
  "export const kinds: Record<string, string> = {",
  ...Object.keys(kinds).sort().map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(kinds[k])},`),
  "};",
  "",
];
writeFileSync(out, lines.join("\n"));
console.log(`${out}: ${sorted.length} messages, ${Object.keys(kinds).length} kinds`);
