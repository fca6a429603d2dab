/** Discovery documents, aggregated (apidiscovery.k8s.io/v2) and legacy, from the catalog. */
import type { ResourceInfo } from "../api/resources.js";
import type { ResourceCatalog } from "./catalog.js";

export const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
export const AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/** Which aggregated form the Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(",")) {
    const p = part.replace(/\s+/g, "");
    if (p.includes("as=APIGroupDiscoveryList") && p.includes("v=v2beta1")) return AGGREGATED_V2BETA1;
    if (p.includes("as=APIGroupDiscoveryList") && p.includes("v=v2")) return AGGREGATED_V2;
    if (p.startsWith("application/json") || p.startsWith("*/*")) return undefined;
  }
  return undefined;
}

function aggregatedResource(r: ResourceInfo) {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? "Namespaced" : "Cluster",
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames?.length) out.shortNames = r.shortNames;
  if (r.categories?.length) out.categories = r.categories;
  if (r.subresources.length) {
    out.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: s.kind ?? { group: r.group, version: r.version, kind: r.kind },
      verbs: s.verbs,
    }));
  }
  return out;
}

export function aggregatedDiscovery(catalog: ResourceCatalog, legacy: boolean, mediaType: string) {
  const apiVersion = mediaType === AGGREGATED_V2BETA1 ? "apidiscovery.k8s.io/v2beta1" : "apidiscovery.k8s.io/v2";
  const items = catalog.groups()
    .filter((g) => (g.name === "") === legacy)
    .map((g) => ({
      metadata: legacy ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: catalog.resourcesOf(g.name, v).filter((r) => r.kind !== "Binding" || r.group !== "").map(aggregatedResource),
        freshness: "Current",
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion, metadata: {}, items };
}

export function legacyApiVersions(serverAddress: string) {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function legacyApiGroupList(catalog: ResourceCatalog) {
  return {
    kind: "APIGroupList", apiVersion: "v1",
    groups: catalog.groups().filter((g) => g.name !== "").map((g) => groupEntry(g.name, g.versions)),
  };
}

export function legacyApiGroup(catalog: ResourceCatalog, group: string) {
  const g = catalog.groups().find((x) => x.name === group);
  return g && { kind: "APIGroup", apiVersion: "v1", ...groupEntry(g.name, g.versions) };
}

export function legacyResourceList(catalog: ResourceCatalog, group: string, version: string) {
  const resources = catalog.resourcesOf(group, version);
  if (resources.length === 0) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const r of resources) {
    const e: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames?.length) e.shortNames = r.shortNames;
    if (r.categories?.length) e.categories = r.categories;
    out.push(e);
    for (const s of r.subresources) {
      const sub: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: "", namespaced: r.namespaced, kind: s.kind?.kind ?? r.kind, verbs: s.verbs };
      if (s.kind) { sub.group = s.kind.group; sub.version = s.kind.version; }
      out.push(sub);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources: out };
}
