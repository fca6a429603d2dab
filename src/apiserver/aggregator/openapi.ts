/**
 * The OpenAPI documents of remote APIServices, as upstream's aggregator
 * gathers them: each available APIService's /openapi/v2, merged into this
 * server's /openapi/v2 (its paths, and the definitions this server has not
 * got), and the OpenAPI v3 document its /openapi/v3 lists for the
 * APIService's group-version, listed in this server's /openapi/v3 and served
 * from there. Downloaded whenever the APIService is checked and available
 * (on change and every round), forgotten when it is not.
 */
import type { APIService } from "../registry/apiregistration/apiservices/types.js";
import { documentHash } from "../openapi.js";
import type { V2Document } from "../openapi-v2/protobuf.js";
import { getFromExtension, type AvailabilityDependencies } from "./availability.js";

/** One v3 document, with the hash its serverRelativeURL carries. */
export interface AggregatedV3Document { body: string; hash: string }

interface Specs { v2?: V2Document; v2Text?: string; v3: Map<string, AggregatedV3Document> }

export class AggregatedOpenApi {
  /** Bumped on every change, so the documents built from these are built again. */
  generation = 0;
  private readonly specs = new Map<string, Specs>();

  /** Records what an APIService serves now; a download equal to the last changes nothing. */
  set(apiService: string, specs: Specs): void {
    const old = this.specs.get(apiService);
    const same = old && old.v2Text === specs.v2Text && old.v3.size === specs.v3.size
      && [...specs.v3].every(([path, d]) => old.v3.get(path)?.hash === d.hash);
    if (same) return;
    this.specs.set(apiService, specs);
    this.generation++;
  }

  delete(apiService: string): void {
    if (this.specs.delete(apiService)) this.generation++;
  }

  /** The v2 documents of the remote servers, by APIService name. */
  v2Documents(): V2Document[] {
    return [...this.specs.keys()].sort().flatMap((k) => this.specs.get(k)!.v2 ?? []);
  }

  /** The v3 documents, by path (`apis/<group>/<version>`). */
  v3Documents(): Map<string, AggregatedV3Document> {
    return new Map([...this.specs.values()].flatMap((s) => [...s.v3]));
  }
}

/**
 * Downloads an APIService's documents from its server. A server without
 * OpenAPI (404, or no JSON) contributes none, as upstream logs and goes on.
 */
export async function downloadOpenApi(apiService: APIService, deps: AvailabilityDependencies): Promise<Specs> {
  const spec = apiService.spec!;
  const ref = spec.service!;
  const namespace = ref.namespace ?? "";
  const name = ref.name ?? "";
  const target = await deps.services.resolve(namespace, name, ref.port ?? 443);
  const get = async (path: string) => {
    const r = await getFromExtension(target, path, apiService, `${name}.${namespace}.svc`, deps.credentials);
    return r.status === 200 ? r.body : undefined;
  };
  const specs: Specs = { v3: new Map() };
  const v2 = await get("/openapi/v2");
  const doc = v2 !== undefined ? parse(v2) as V2Document | undefined : undefined;
  if (doc && typeof doc.paths === "object") {
    specs.v2 = { ...doc, paths: doc.paths ?? {}, definitions: doc.definitions ?? {} };
    specs.v2Text = v2;
  }
  // Only the APIService's own group-version: the rest of what that server lists is not served through this one.
  const own = `apis/${spec.group}/${spec.version}`;
  const root = parse((await get("/openapi/v3")) ?? "") as { paths?: Record<string, { serverRelativeURL?: string }> } | undefined;
  const url = root?.paths?.[own]?.serverRelativeURL;
  if (url) {
    const body = await get(url.startsWith("/") ? url : `/${url}`);
    if (body !== undefined && parse(body)) specs.v3.set(own, { body, hash: documentHash(body) });
  }
  return specs;
}

function parse(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}
