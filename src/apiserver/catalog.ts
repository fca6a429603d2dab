/**
 * The set of resources served right now: the built-in ones and those of
 * established CustomResourceDefinitions. Discovery, routing and OpenAPI read it.
 */
import { selectableFieldName } from "./registry/apiextensions/customresourcedefinitions/selectable-fields.js";
import { builtinResources, type CustomResourceInfo, type ResourceInfo, groupVersion } from "../api/resources.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CRD objects are free-form JSON

export interface GroupInfo { name: string; versions: string[] }

export class ResourceCatalog {
  private readonly byPath = new Map<string, ResourceInfo>();
  private custom = new Map<string, ResourceInfo[]>();
  /** Group-versions an extension API server serves: its resources, and what this server served there before. */
  private aggregated = new Map<string, { added: ResourceInfo[]; replaced: ResourceInfo[]; text: string }>();
  /** Bumped on every change, so that discovery and OpenAPI documents can be cached. */
  generation = 0;

  constructor() {
    for (const r of builtinResources) this.byPath.set(this.pathKey(r.group, r.version, r.resource), r);
  }

  private pathKey(group: string, version: string, resource: string): string {
    return `${group}/${version}/${resource}`;
  }

  lookup(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byPath.get(this.pathKey(group, version, resource));
  }

  all(): ResourceInfo[] {
    return [...this.byPath.values()];
  }

  /** Groups in discovery order, each with its versions, preferred first. */
  groups(): GroupInfo[] {
    const out = new Map<string, string[]>();
    for (const r of this.byPath.values()) {
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    // An available APIService's group-version is served even when its server lists no top-level resource
    // (a custom metrics adapter lists only `pods/<metric>` and `namespaces/<metric>`), as upstream's /apis lists it.
    for (const key of this.aggregated.keys()) {
      const at = key.lastIndexOf("/");
      const [group, version] = [key.slice(0, at), key.slice(at + 1)];
      const vs = out.get(group) ?? [];
      if (!vs.includes(version)) vs.push(version);
      out.set(group, vs);
    }
    return [...out].map(([name, versions]) => ({ name, versions }));
  }

  resourcesOf(group: string, version: string): ResourceInfo[] {
    return [...this.byPath.values()].filter((r) => r.group === group && r.version === version);
  }

  /** The preferred version's entry for a group and kind. */
  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    for (const r of this.byPath.values()) if (groupVersion(r) === apiVersion && r.kind === kind) return r;
    return undefined;
  }

  /** Serves (or stops serving) the resources a CRD defines. */
  setCustomResource(crd: Obj): void {
    this.removeCustomResource(crd.metadata.name);
    const spec = crd.spec ?? {};
    const list: ResourceInfo[] = [];
    const versions: Obj[] = (spec.versions ?? []).filter((v: Obj) => v.served !== false);
    // Upstream orders custom versions by Kubernetes version priority; storage version first is close enough here.
    versions.sort((a, b) => Number(Boolean(b.storage)) - Number(Boolean(a.storage)));
    for (const v of versions) {
      const sub = v.subresources ?? spec.subresources ?? {};
      const schema = v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema;
      const crdInfo: CustomResourceInfo = {
        schema,
        preserveUnknownFields: Boolean(spec.preserveUnknownFields) || !schema,
        printerColumns: v.additionalPrinterColumns ?? spec.additionalPrinterColumns ?? [],
        ...(v.selectableFields?.length ? { selectableFields: Object.fromEntries(v.selectableFields.map((f: Obj) => [selectableFieldName(f.jsonPath), f.jsonPath])) } : {}),
        scaleSpecReplicasPath: sub.scale?.specReplicasPath,
        scaleStatusReplicasPath: sub.scale?.statusReplicasPath,
        scaleLabelSelectorPath: sub.scale?.labelSelectorPath,
        storageVersion: (spec.versions ?? []).find((x: Obj) => x.storage)?.name,
        ...(crd.metadata.deletionTimestamp ? { terminating: true } : {}),
        ...(v.deprecated ? { deprecationWarning: v.deprecationWarning ?? `${spec.group}/${v.name} ${spec.names.kind} is deprecated` } : {}),
        ...(spec.conversion?.strategy === "Webhook" && spec.conversion.webhook?.clientConfig
          ? { conversionWebhook: { clientConfig: spec.conversion.webhook.clientConfig, conversionReviewVersions: spec.conversion.webhook.conversionReviewVersions ?? [] } }
          : {}),
      };
      const info: ResourceInfo = {
        group: spec.group, version: v.name, kind: spec.names.kind, resource: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        namespaced: spec.scope !== "Cluster",
        shortNames: spec.names.shortNames, categories: spec.names.categories,
        subresources: [
          ...(sub.status ? [{ name: "status", verbs: ["get", "patch", "update"] }] : []),
          ...(sub.scale ? [{ name: "scale", verbs: ["get", "patch", "update"], kind: { group: "autoscaling", version: "v1", kind: "Scale" } }] : []),
        ],
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        storagePrefix: `/registry/${spec.group}/${spec.names.plural}`,
        crd: crdInfo,
      };
      list.push(info);
      this.byPath.set(this.pathKey(info.group, info.version, info.resource), info);
    }
    this.custom.set(crd.metadata.name, list);
    this.generation++;
  }

  /**
   * Serves a group-version through an APIService (its server's resources),
   * or stops (undefined): what was served there before comes back, so a
   * metrics-server's APIService stands in for the built-in metrics.k8s.io.
   */
  setAggregated(group: string, version: string, resources: ResourceInfo[] | undefined): void {
    const key = `${group}/${version}`;
    const prev = this.aggregated.get(key);
    const text = resources ? JSON.stringify(resources) : "";
    if (prev?.text === text || (!prev && !resources)) return;
    let replaced: ResourceInfo[] = [];
    if (prev) {
      for (const r of prev.added) this.byPath.delete(this.pathKey(r.group, r.version, r.resource));
      for (const r of prev.replaced) this.byPath.set(this.pathKey(r.group, r.version, r.resource), r);
      replaced = prev.replaced;
      this.aggregated.delete(key);
    }
    if (resources) {
      if (!prev) replaced = this.resourcesOf(group, version);
      for (const r of replaced) this.byPath.delete(this.pathKey(r.group, r.version, r.resource));
      for (const r of resources) this.byPath.set(this.pathKey(r.group, r.version, r.resource), r);
      this.aggregated.set(key, { added: resources, replaced, text });
    }
    this.generation++;
  }

  removeCustomResource(crdName: string): void {
    for (const r of this.custom.get(crdName) ?? []) this.byPath.delete(this.pathKey(r.group, r.version, r.resource));
    if (this.custom.delete(crdName)) this.generation++;
  }
}
