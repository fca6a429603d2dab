/**
 * OpenAPI v3 documents, one per group-version. kubectl reads them to decide
 * that the server validates fields itself (the fieldValidation parameter on
 * each PATCH), and `kubectl explain` reads the schemas. The schemas of the
 * built-in kinds come from `schemas.json`, generated at build time from the
 * kubernetes-types definitions (scripts/gen-openapi-schemas.mjs).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { groupVersion, type ResourceInfo } from "../api/resources.js";
import type { AggregatedOpenApi } from "./aggregator/index.js";
import type { ResourceCatalog } from "./catalog.js";
import { selectableFieldsExtension } from "./registry/apiextensions/customresourcedefinitions/selectable-fields.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- OpenAPI documents are free-form JSON

let builtinSchemas: Record<string, Obj> | undefined;

export function loadBuiltinSchemas(): Record<string, Obj> {
  if (builtinSchemas) return builtinSchemas;
  const path = fileURLToPath(new URL("../../../generated/schemas.json", import.meta.url));
  builtinSchemas = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) as Record<string, Obj> : {};
  return builtinSchemas;
}

/** Upstream's schema name for a kind: io.k8s.api.apps.v1.Deployment. */
export function schemaName(r: ResourceInfo): string {
  if (r.crd) return `${r.group.split(".").reverse().join(".")}.${r.version}.${r.kind}`;
  const group = r.group === "" ? "core" : r.group.replace(/\.k8s\.io$/, "").replace(/\.authorization$/, "");
  const pkg = r.group === "apiextensions.k8s.io" ? "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions" : `io.k8s.api.${group}`;
  return `${pkg}.${r.version}.${r.kind}`;
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const queryParam = (name: string) => ({ name, in: "query", schema: { type: "string", uniqueItems: true } });

function operations(r: ResourceInfo, ref: Obj): Obj {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const body = (types: string[]) => ({ content: Object.fromEntries(types.map((t) => [t, { schema: ref }])), required: true });
  const response = { "200": { description: "OK", content: { "application/json": { schema: ref } } } };
  const common = { "x-kubernetes-group-version-kind": gvk, responses: response };
  return {
    get: { ...common, operationId: `read${r.kind}`, "x-kubernetes-action": "get" },
    put: { ...common, operationId: `replace${r.kind}`, "x-kubernetes-action": "put", parameters: ["dryRun", "fieldManager", "fieldValidation"].map(queryParam), requestBody: body(["*/*"]) },
    patch: {
      ...common, operationId: `patch${r.kind}`, "x-kubernetes-action": "patch",
      parameters: ["dryRun", "fieldManager", "fieldValidation", "force"].map(queryParam),
      // No strategic-merge media type: kubectl then computes SMPs from its compiled-in types.
      requestBody: body(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]),
    },
    delete: { ...common, operationId: `delete${r.kind}`, "x-kubernetes-action": "delete" },
  };
}

/** A v3 document's hash, as its serverRelativeURL carries it: sha512, upper-case hex. */
export function documentHash(body: string): string {
  return createHash("sha512").update(body).digest("hex").slice(0, 128).toUpperCase();
}

export class OpenApiV3 {
  private cache = new Map<string, { body: string; hash: string }>();
  private cachedGeneration = -1;

  /** aggregated: the documents of the aggregated API servers, listed and served beside this server's own. */
  constructor(private readonly catalog: ResourceCatalog, private readonly aggregated?: AggregatedOpenApi) {}

  private refresh(): void {
    if (this.cachedGeneration === this.catalog.generation) return;
    this.cache.clear();
    this.cachedGeneration = this.catalog.generation;
  }

  private document(group: string, version: string): { body: string; hash: string } | undefined {
    this.refresh();
    const key = gvPath(group, version);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const resources = this.catalog.resourcesOf(group, version).filter((r) => !r.aggregated);
    if (!resources.length) return undefined;
    const builtins = loadBuiltinSchemas();
    const schemas: Record<string, Obj> = {};
    const paths: Record<string, Obj> = {};
    const addClosure = (name: string) => {
      if (schemas[name] || !builtins[name]) return;
      schemas[name] = builtins[name]!;
      JSON.stringify(builtins[name], (k, v) => {
        if (k === "$ref" && typeof v === "string") addClosure(v.replace("#/components/schemas/", ""));
        return v;
      });
    };
    for (const r of resources) {
      const name = schemaName(r);
      addClosure(name);
      if (r.crd) {
        const s = structuredClone((r.crd.schema as Obj | undefined) ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true });
        s.properties = { ...(s.properties ?? {}), metadata: { allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }], description: "Standard object's metadata." } };
        addClosure("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
        schemas[name] = s;
      }
      schemas[name] ??= { type: "object", description: `${r.kind} (${groupVersion(r)})`, "x-kubernetes-preserve-unknown-fields": true };
      schemas[name] = { ...schemas[name], "x-kubernetes-group-version-kind": [{ group: r.group, version: r.version, kind: r.kind }] };
      if (r.crd?.selectableFields) schemas[name]["x-kubernetes-selectable-fields"] = selectableFieldsExtension(r.crd);
      const ref = { $ref: `#/components/schemas/${name}` };
      const base = `/${gvPath(group, version)}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}`;
      paths[`${base}/{name}`] = operations(r, ref);
      for (const s of r.subresources) {
        if (s.name === "status" || s.name === "scale") paths[`${base}/{name}/${s.name}`] = s.name === "status" ? operations(r, ref) : {};
      }
    }
    const doc = { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas } };
    const body = JSON.stringify(doc);
    const entry = { body, hash: documentHash(body) };
    this.cache.set(key, entry);
    return entry;
  }

  root(): Obj {
    const paths: Record<string, Obj> = {};
    for (const g of this.catalog.groups()) {
      for (const v of g.versions) {
        const d = this.document(g.name, v);
        if (d) paths[gvPath(g.name, v)] = { serverRelativeURL: `/${gvPath(g.name, v)}?hash=${d.hash}`.replace(/^\//, "/openapi/v3/") };
      }
    }
    for (const [path, d] of this.aggregated?.v3Documents() ?? []) paths[path] ??= { serverRelativeURL: `/openapi/v3/${path}?hash=${d.hash}` };
    return { paths };
  }

  /** The document for a path like `apis/apps/v1` or `api/v1`. */
  byPath(path: string): { body: string; hash: string } | undefined {
    const parts = path.split("/");
    if (parts[0] === "api" && parts.length === 2) return this.document("", parts[1]!);
    if (parts[0] === "apis" && parts.length === 3) return this.document(parts[1]!, parts[2]!) ?? this.aggregated?.v3Documents().get(path);
    return undefined;
  }
}
