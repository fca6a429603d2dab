/** Services and EndpointSlices for the proxiers' unit tests, and a proxier over them without an API server or a kernel. */
import type { Service, ServicePort, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Kube } from "../client/index.js";

/** A Service in default with one port `http` 80/TCP; `port` overrides fields of that port, the rest of spec the Service's. */
export const svc = (name: string, { port, ...spec }: ServiceSpec & { port?: Partial<ServicePort> }): Kube<Service> =>
  ({ metadata: { name, namespace: "default" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP", ...port }], ...spec } });

export const slice = (svcName: string, eps: [string, boolean, string?][]): Kube<EndpointSlice> => ({
  metadata: { name: `${svcName}-x`, namespace: "default", labels: { "kubernetes.io/service-name": svcName } },
  addressType: "IPv4",
  endpoints: eps.map(([ip, ready, nodeName]) => ({ addresses: [ip], conditions: { ready }, nodeName: nodeName ?? "node-a" })),
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});

export function proxierOver<T extends object>(cls: { prototype: T }, services: Kube<Service>[], slices: Kube<EndpointSlice>[]): T {
  // The fields the constructor would set, set directly: the proxier's own (protected) fields, hence not through T.
  const p = Object.create(cls.prototype) as Record<string, unknown>;
  p.options = { nodeName: "node-a", nodeIPs: ["10.244.0.1"], bridge: "skiff0" };
  p.masqueradeAll = false;
  p.services = { list: () => services, get: (key: string) => services.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === key) };
  p.slices = { list: () => slices };
  return p as T;
}
