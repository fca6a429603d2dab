/**
 * Discovery, as client-go's: the resources the server serves, in each group's
 * preferred version, with their kinds and verbs (subresources left out).
 */
import type { Client, ResourceRef } from "./client.js";

export interface DiscoveredResource extends ResourceRef { kind: string; verbs: string[] }

interface ApiResource { name: string; kind: string; namespaced: boolean; verbs: string[] }

export async function discoverResources(client: Client): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  const add = (group: string, version: string, list: ApiResource[]) => {
    for (const r of list) if (!r.name.includes("/")) out.push({ group, version, resource: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs });
  };
  add("", "v1", (await client.request<{ resources: ApiResource[] }>("GET", "/api/v1")).resources);
  const groups = await client.request<{ groups: { name: string; preferredVersion: { version: string } }[] }>("GET", "/apis");
  for (const g of groups.groups) {
    const v = g.preferredVersion.version;
    add(g.name, v, (await client.request<{ resources: ApiResource[] }>("GET", `/apis/${g.name}/${v}`)).resources);
  }
  return out;
}
