/**
 * Where a webhook's `service` reference is reached: a ready endpoint of the
 * Service, read from its EndpointSlices (or its Endpoints when it has none),
 * as upstream's endpoint service resolver (the kube-apiserver's
 * --enable-aggregator-routing) does. The endpoint is dialled directly,
 * without the service proxy, so a webhook works on a server without a
 * proxied node; an ExternalName Service is dialled by its name.
 */
import type { EndpointPort, Endpoints, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";

export interface ServiceEndpoint { host: string; port: number }

export interface ServiceResolver {
  /** Throws an Error whose message says why no endpoint is there (upstream's resolver errors). */
  resolve(namespace: string, name: string, port: number): Promise<ServiceEndpoint>;
}

export interface ServiceReads {
  getService(namespace: string, name: string): Promise<Service | undefined>;
  listEndpointSlices(namespace: string, serviceName: string): Promise<EndpointSlice[]>;
  getEndpoints(namespace: string, name: string): Promise<Endpoints | undefined>;
}

const pick = <T>(list: T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

export class EndpointServiceResolver implements ServiceResolver {
  constructor(private readonly reads: ServiceReads) {}

  async resolve(namespace: string, name: string, port: number): Promise<ServiceEndpoint> {
    const svc = await this.reads.getService(namespace, name);
    if (!svc) throw new Error(`service "${name}" not found`);
    if (svc.spec?.type === "ExternalName") return { host: svc.spec.externalName ?? "", port };
    const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
    if (!svcPort) throw new Error(`no service port ${port} found for service "${name}"`);
    const portName = svcPort.name ?? "";
    const samePort = (p: { name?: string }) => (p.name ?? "") === portName;
    const fromSlices: ServiceEndpoint[] = [];
    for (const slice of await this.reads.listEndpointSlices(namespace, name)) {
      const p = (slice.ports ?? []).find(samePort);
      if (p?.port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        const host = ep.addresses?.[0];
        if (host) fromSlices.push({ host, port: p.port });
      }
    }
    const chosen = pick(fromSlices);
    if (chosen) return chosen;
    const endpoints = await this.reads.getEndpoints(namespace, name);
    const fromEndpoints: ServiceEndpoint[] = [];
    for (const subset of endpoints?.subsets ?? []) {
      const p = (subset.ports ?? []).find(samePort as (p: EndpointPort) => boolean);
      if (!p) continue;
      for (const a of subset.addresses ?? []) fromEndpoints.push({ host: a.ip, port: p.port });
    }
    const fallback = pick(fromEndpoints);
    if (fallback) return fallback;
    throw new Error(`no endpoints available for service "${name}"`);
  }
}
