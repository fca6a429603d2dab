/**
 * Services as the data paths see them (the kernel rules, the userspace
 * relay, the ingress): each port with its ClusterIP, node and load balancer
 * ports, and the ready endpoints of its EndpointSlices.
 */
import { createHash } from "node:crypto";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Kube } from "../client/index.js";

export interface Endpoint { ip: string; port: number; nodeName?: string }

/** The slices of every Service, by `namespace/name`, in one pass. */
export function slicesByService(slices: Kube<EndpointSlice>[]): Map<string, Kube<EndpointSlice>[]> {
  const out = new Map<string, Kube<EndpointSlice>[]>();
  for (const sl of slices) {
    const name = sl.metadata.labels?.["kubernetes.io/service-name"];
    if (!name) continue;
    const key = `${sl.metadata.namespace}/${name}`;
    const list = out.get(key);
    if (list) list.push(sl);
    else out.set(key, [sl]);
  }
  return out;
}

/**
 * The ready endpoints for a Service port (matched by the port's name and
 * protocol, as slices name them), sorted so that equal sets compare equal;
 * with onlyNode, those on that node (traffic policy Local).
 */
export function readyEndpoints(slices: Kube<EndpointSlice>[], portName: string | undefined, protocol: string, onlyNode?: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const slice of slices) {
    const port = slice.ports?.find((p) => (p.name ?? "") === (portName ?? "") && (p.protocol ?? "TCP") === protocol);
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || !e.addresses?.length) continue;
      if (onlyNode && e.nodeName !== onlyNode) continue;
      out.push({ ip: e.addresses[0], port: port.port, nodeName: e.nodeName });
    }
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}

/** One port of one Service, as every proxier programs it. */
export interface ServicePort {
  /** Stable per Service port, for chain and listener names. */
  id: string;
  /** `namespace/name:port`, for comments and logs. */
  name: string;
  clusterIP: string;
  protocol: "TCP" | "UDP";
  port: number;
  nodePort?: number;
  /** ServiceLB's addresses in the Service's status, answered on the Service's own port. */
  loadBalancerIPs: string[];
  /** Where traffic from inside the cluster goes (internalTrafficPolicy applied). */
  internal: Endpoint[];
  /** Where traffic from outside goes, through a NodePort or load balancer (externalTrafficPolicy applied). */
  external: Endpoint[];
  /** ClientIP affinity timeout; 0 without affinity. */
  affinitySeconds: number;
}

/** Every TCP and UDP port of the Services with a ClusterIP, with its endpoints as seen from nodeName. */
export function servicePorts(services: Kube<Service>[], slices: Kube<EndpointSlice>[], nodeName: string): ServicePort[] {
  const slicesOf = slicesByService(slices);
  return services.flatMap((svc) => servicePortsOf(svc, slicesOf.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [], nodeName));
}

/** One Service's ports, given its slices; none for a headless or ExternalName Service. */
export function servicePortsOf(svc: Kube<Service>, own: Kube<EndpointSlice>[], nodeName: string): ServicePort[] {
  const spec = svc.spec;
  const ip = spec?.clusterIP;
  if (!spec || !ip || ip === "None" || spec.type === "ExternalName") return [];
  const out: ServicePort[] = [];
  const affinitySeconds = spec.sessionAffinity === "ClientIP" ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : 0;
  const exposed = spec.type === "NodePort" || spec.type === "LoadBalancer";
  const isLB = spec.type === "LoadBalancer" && !spec.loadBalancerClass;
  const loadBalancerIPs: string[] = isLB ? [...new Set<string>((svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])))] : [];
  for (const sp of spec.ports ?? []) {
    const protocol = sp.protocol ?? "TCP";
    if (protocol !== "TCP" && protocol !== "UDP") continue;
    out.push({
      id: createHash("sha256").update(`${svc.metadata.namespace}/${svc.metadata.name}/${sp.name ?? ""}/${protocol}`).digest("hex").slice(0, 12),
      name: `${svc.metadata.namespace}/${svc.metadata.name}:${sp.name ?? sp.port}`,
      clusterIP: ip, protocol, port: sp.port,
      nodePort: exposed && sp.nodePort ? sp.nodePort : undefined,
      loadBalancerIPs,
      internal: readyEndpoints(own, sp.name, protocol, spec.internalTrafficPolicy === "Local" ? nodeName : undefined),
      external: readyEndpoints(own, sp.name, protocol, spec.externalTrafficPolicy === "Local" ? nodeName : undefined),
      affinitySeconds,
    });
  }
  return out;
}
