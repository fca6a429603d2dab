/**
 * The target's scale subresource (upstream's scale client and REST mapper):
 * a scaleTargetRef's apiVersion and kind found in discovery, so Deployments,
 * ReplicaSets, StatefulSets, ReplicationControllers and any custom resource
 * with a scale subresource are scaled alike. A group-version's resources are
 * cached briefly; an unknown kind looks again, since a CRD may just have come.
 */
import type { Scale } from "kubernetes-types/autoscaling/v1.js";
import type { Client, ResourceRef } from "../../client/index.js";

interface ApiResource { name: string; kind: string; namespaced: boolean }

const CACHE_MS = 30_000;

export class ScaleClient {
  private readonly mappings = new Map<string, { at: number; resources: ApiResource[] }>();

  constructor(private readonly client: Client, private readonly now: () => number = Date.now) {}

  /** The resource of the kind that has a scale subresource. */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) as [string, string] : ["", apiVersion];
    if (!version || apiVersion.split("/").length > 2) throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
    let found = this.find(await this.resources(apiVersion, false), kind);
    if (!found) found = this.find(await this.resources(apiVersion, true), kind);
    if (!found) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    return { group, version, resource: found.name, namespaced: found.namespaced };
  }

  async get(r: ResourceRef, namespace: string, name: string): Promise<Scale> {
    return this.client.request<Scale>("GET", this.client.path(r, namespace, name, "scale"));
  }

  async update(r: ResourceRef, namespace: string, scale: Scale): Promise<Scale> {
    return this.client.request<Scale>("PUT", this.client.path(r, namespace, scale.metadata!.name!, "scale"), scale);
  }

  private find(resources: ApiResource[], kind: string): ApiResource | undefined {
    const withScale = new Set(resources.filter((r) => r.name.endsWith("/scale")).map((r) => r.name.slice(0, -"/scale".length)));
    return resources.find((r) => r.kind === kind && !r.name.includes("/") && withScale.has(r.name));
  }

  private async resources(apiVersion: string, fresh: boolean): Promise<ApiResource[]> {
    const cached = this.mappings.get(apiVersion);
    if (cached && !fresh && this.now() - cached.at < CACHE_MS) return cached.resources;
    const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.client.request<{ resources?: ApiResource[] }>("GET", path).catch((err: { code?: number }) => {
      if (err.code === 404) return { resources: [] };
      throw err;
    });
    const resources = list.resources ?? [];
    this.mappings.set(apiVersion, { at: this.now(), resources });
    return resources;
  }
}
