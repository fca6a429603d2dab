/**
 * /openapi/v2: the whole API in one swagger 2.0 document, built-in and custom
 * resources alike, as JSON or as gnostic protobuf, with an ETag so that
 * clients polling it (kubectl's cache, conformance's CRD checks) get 304 until
 * the set of resources changes. Rebuilt only when the catalog changes, or
 * the documents of the aggregated API servers: their paths and the
 * definitions this server has not got are merged in, as upstream's
 * aggregator merges them.
 */
import { createHash } from "node:crypto";
import type { AggregatedOpenApi } from "../aggregator/index.js";
import type { ResourceCatalog } from "../catalog.js";
import { loadBuiltinSchemas, schemaName } from "../openapi.js";
import { resourcePaths, type PathItem } from "./paths.js";
import { encodeDocument, type V2Document } from "./protobuf.js";
import { builtinDefinition, customResourceDefinition, customResourceListDefinition, type SchemaNode } from "./schemas.js";

const PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

interface Rendered { json: Buffer; protobuf?: Buffer; etag: string }

export class OpenApiV2 {
  private cached?: { generation: string; doc: V2Document; rendered: Rendered };

  constructor(private readonly catalog: ResourceCatalog, private readonly version: string, private readonly aggregated?: AggregatedOpenApi) {}

  /** The document for the catalog as it is now. */
  document(): V2Document {
    return this.current().doc;
  }

  private current(): { doc: V2Document; rendered: Rendered } {
    const generation = `${this.catalog.generation}/${this.aggregated?.generation ?? 0}`;
    if (this.cached?.generation === generation) return this.cached;
    const doc = this.build();
    const json = Buffer.from(JSON.stringify(doc));
    const etag = createHash("sha512").update(json).digest("hex").slice(0, 128).toUpperCase();
    this.cached = { generation, doc, rendered: { json, etag } };
    return this.cached;
  }

  private build(): V2Document {
    const definitions: Record<string, SchemaNode> = {};
    for (const [name, s] of Object.entries(loadBuiltinSchemas())) definitions[name] = builtinDefinition(name, s as SchemaNode);
    const paths: Record<string, PathItem> = {};
    const resources = this.catalog.all().filter((r) => !r.aggregated).sort((a, b) => `${a.group}/${a.version}/${a.resource}`.localeCompare(`${b.group}/${b.version}/${b.resource}`));
    for (const r of resources) {
      const name = schemaName(r);
      let listName: string | undefined = `${name}List`;
      if (r.crd) {
        definitions[name] = customResourceDefinition(r);
        definitions[listName] = customResourceListDefinition(r, name);
      } else {
        if (!definitions[name]) continue; // a kind without a schema here (the metrics API's) is served but not described
        definitions[name] = { ...definitions[name], "x-kubernetes-group-version-kind": [{ group: r.group, kind: r.kind, version: r.version }] };
        if (!definitions[listName]) listName = undefined;
      }
      Object.assign(paths, resourcePaths(r, name, listName));
    }
    // An extension server's paths are its own group's; a definition of the same name (ObjectMeta, Status) is this server's.
    for (const remote of this.aggregated?.v2Documents() ?? []) {
      for (const [path, item] of Object.entries(remote.paths)) paths[path] ??= item;
      for (const [name, def] of Object.entries(remote.definitions)) definitions[name] ??= def;
    }
    return { swagger: "2.0", info: { title: "Kubernetes", version: this.version }, paths, definitions };
  }

  /**
   * The response for a GET: 304 when the client holds this version, else the
   * document in the type it asks for (protobuf when its Accept names it first).
   */
  respond(accept: string | undefined, ifNoneMatch: string | undefined): { status: number; headers: Record<string, string>; body: Buffer } {
    const { doc, rendered } = this.current();
    const etag = `"${rendered.etag}"`;
    const headers: Record<string, string> = { etag, vary: "Accept", "cache-control": "no-cache, private" };
    if (ifNoneMatch && ifNoneMatch.split(",").map((t) => t.trim()).includes(etag)) return { status: 304, headers, body: Buffer.alloc(0) };
    if (wantsProtobuf(accept)) {
      rendered.protobuf ??= encodeDocument(doc);
      return { status: 200, headers: { ...headers, "content-type": PROTOBUF_TYPE }, body: rendered.protobuf };
    }
    return { status: 200, headers: { ...headers, "content-type": "application/json" }, body: rendered.json };
  }
}

/** Whether the client prefers gnostic protobuf: its first acceptable type is one of the proto-openapi ones. */
function wantsProtobuf(accept: string | undefined): boolean {
  const first = String(accept ?? "").split(",")[0]!.trim().toLowerCase();
  return first.startsWith("application/com.github.proto-openapi.spec.v2");
}
