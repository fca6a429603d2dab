/** Services and EndpointSlices for the proxiers' unit tests, and a proxier over them without an API server or a kernel. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON

export const svc = (name: string, spec: Json) => ({ metadata: { name, namespace: "default" }, spec: { ports: [{ name: "http", port: 80, protocol: "TCP", ...spec.port }], ...spec } });

export const slice = (svcName: string, eps: [string, boolean, string?][]) => ({
  metadata: { name: `${svcName}-x`, namespace: "default", labels: { "kubernetes.io/service-name": svcName } },
  endpoints: eps.map(([ip, ready, nodeName]) => ({ addresses: [ip], conditions: { ready }, nodeName: nodeName ?? "node-a" })),
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});

export function proxierOver<T extends object>(cls: { prototype: T }, services: Json[], slices: Json[]): T {
  const p = Object.create(cls.prototype) as Json;
  p.options = { nodeName: "node-a", nodeIPs: ["10.244.0.1"], bridge: "skiff0" };
  p.masqueradeAll = false;
  p.services = { list: () => services, get: (key: string) => services.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === key) };
  p.slices = { list: () => slices };
  return p as T;
}
