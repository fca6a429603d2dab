/**
 * Where `pods/proxy`, `services/proxy` and `nodes/proxy` go (upstream's
 * ResourceLocation of each registry): only to the object's own addresses,
 * the pod's IP, an endpoint address that is its pod's IP, the node's address.
 * Never to an address the request names, so the API server is no open proxy.
 */
import type { Endpoints, Node, Pod, Service } from "kubernetes-types/core/v1.js";
import { ApiError, badRequest, isNotFound } from "../../api/errors.js";
import { ADDRESS_NOT_ALLOWED, isGlobalUnicast, isLoopback, isProxyableIP } from "./address-policy.js";

export type ProxiedResource = "pods" | "services" | "nodes";

export interface ProxyLocation {
  scheme: "http" | "https";
  /** An IP address. */
  host: string;
  /** Absent: the scheme's default port. */
  port?: number;
  /** A node's kubelet: dialled with the API server's kubelet client certificate, not the plain proxy transport. */
  kubelet: boolean;
}

/** The objects a location is read from; each throws a NotFound ApiError for a missing object. */
export interface ProxyObjects {
  pod(namespace: string, name: string): Promise<Pod>;
  service(namespace: string, name: string): Promise<Service>;
  endpoints(namespace: string, name: string): Promise<Endpoints>;
  node(name: string): Promise<Node>;
}

/** `host` or `host:port` as a URL writes it (IPv6 in brackets), as Go's net.JoinHostPort. */
export function authorityOf(loc: ProxyLocation): string {
  const host = loc.host.includes(":") ? `[${loc.host}]` : loc.host;
  return loc.port === undefined ? host : `${host}:${loc.port}`;
}

/**
 * upstream's SplitSchemeNamePort: `name`, `name:port` or `scheme:name:port`,
 * the scheme http, https or empty; anything else is a 400 naming the request.
 */
export function splitSchemeNamePort(id: string, kind: "pod" | "service" | "node"): { scheme: "" | "http" | "https"; name: string; port: string } {
  const parts = id.split(":");
  const [scheme, name, port] = parts.length === 3 ? parts : ["", parts[0]!, parts[1] ?? ""];
  if (parts.length > 3 || !name || (scheme !== "" && scheme !== "http" && scheme !== "https")) throw badRequest(`invalid ${kind} request "${id}"`);
  return { scheme: scheme as "" | "http" | "https", name, port: port! };
}

function portNumber(port: string): number | undefined {
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? n : undefined;
}

const unavailable = (message: string) => new ApiError(503, "ServiceUnavailable", message);

/** A simulated node may serve usage summaries, never what a proxied request would reach. */
function isSimulatedNode(node: Node): boolean {
  return node.metadata?.annotations?.["skiff.dev/simulated"] === "true";
}

function kubeletPortOf(node: Node): number | undefined {
  return node.status?.daemonEndpoints?.kubeletEndpoint?.Port || undefined;
}

export class ProxyLocations {
  /**
   * The node whose kubelet `skiff server` runs in its own process on the
   * process runtime. Its pods and its kubelet listen on the server's own
   * loopback, which upstream's rules refuse: there, and only there, a
   * loopback address is dialled, at a port the pod itself declares (or the
   * kubelet's port), never at one a request or a Service names.
   */
  loopbackNode?: string;

  constructor(private readonly objects: ProxyObjects, private readonly random: () => number = Math.random) {}

  resolve(resource: ProxiedResource, namespace: string, id: string): Promise<ProxyLocation> {
    if (resource === "pods") return this.pod(namespace, id);
    if (resource === "services") return this.service(namespace, id);
    return this.node(id);
  }

  /** A pod's first IP, at the port asked (a number or, beyond upstream, a container port's name) or its first declared one. */
  async pod(namespace: string, id: string): Promise<ProxyLocation> {
    const { scheme, name, port } = splitSchemeNamePort(id, "pod");
    const pod = await this.objects.pod(namespace, name);
    let target: number | undefined;
    if (!port) target = pod.spec?.containers?.find((c) => c.ports?.length)?.ports?.[0]?.containerPort;
    else target = portNumber(port) ?? namedPort(pod, port);
    if (target === undefined && port) throw unavailable(`no container port named "${port}" found for pod "${name}"`);
    const ip = pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP;
    if (!this.dialable(pod, ip, target)) throw badRequest(ADDRESS_NOT_ALLOWED);
    await this.refuseSimulated(pod);
    return { scheme: scheme || "http", host: ip!, port: target, kubelet: false };
  }

  /**
   * A ready endpoint of the Service's port (by name, or by number through the
   * Service's ports), each address checked to be its pod's own IP, as
   * upstream's isValidAddress; the subset and address are picked at random.
   */
  async service(namespace: string, id: string): Promise<ProxyLocation> {
    const { scheme, name, port } = splitSchemeNamePort(id, "service");
    let portName = port;
    if (/^[+-]?\d+$/.test(port)) {
      const svc = await this.objects.service(namespace, name);
      const found = svc.spec?.ports?.find((p) => p.port === Number(port));
      if (!found) throw unavailable(`no service port ${Number(port)} found for service "${name}"`);
      portName = found.name ?? "";
    }
    const subsets = (await this.objects.endpoints(namespace, name)).subsets ?? [];
    if (!subsets.length) throw unavailable(`no endpoints available for service "${name}"`);
    const firstSubset = Math.floor(this.random() * subsets.length);
    for (let i = 0; i < subsets.length; i++) {
      const ss = subsets[(firstSubset + i) % subsets.length]!;
      const addresses = ss.addresses ?? [];
      if (!addresses.length) continue;
      for (const p of ss.ports ?? []) {
        if ((p.name ?? "") !== portName) continue;
        const firstAddress = Math.floor(this.random() * addresses.length);
        for (let j = 0; j < addresses.length; j++) {
          const addr = addresses[(firstAddress + j) % addresses.length]!;
          const pod = await this.endpointPod(namespace, addr);
          if (!pod || !this.dialable(pod, addr.ip, p.port) || (await this.simulated(pod))) continue;
          return { scheme: scheme || "http", host: addr.ip, port: p.port, kubelet: false };
        }
      }
    }
    throw unavailable(`no endpoints available for service "${id}"`);
  }

  /** The node's InternalIP: its kubelet (https, client certificate) by default or at the kubelet's port, else the port asked. */
  async node(id: string): Promise<ProxyLocation> {
    const { scheme, name, port } = splitSchemeNamePort(id, "node");
    const node = await this.objects.node(name);
    const addresses = node.status?.addresses ?? [];
    const host = addresses.find((a) => a.type === "InternalIP")?.address ?? addresses.find((a) => a.type === "ExternalIP")?.address;
    if (!host) throw unavailable(`no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(" ")}]`);
    const kubeletPort = kubeletPortOf(node);
    // A node without a kubelet (a simulated one) has an address where nothing, on this machine or any, answers.
    if (!kubeletPort || isSimulatedNode(node)) throw unavailable(`no kubelet serves node "${name}" (simulated nodes have none)`);
    const toKubelet = !port || port === String(kubeletPort);
    const ownLoopback = toKubelet && isLoopback(host) && name === this.loopbackNode;
    if (!isProxyableIP(host) && !ownLoopback) throw badRequest(ADDRESS_NOT_ALLOWED);
    if (toKubelet) return { scheme: "https", host, port: kubeletPort, kubelet: true };
    const n = portNumber(port);
    if (n === undefined) throw unavailable(`error trying to reach service: dial tcp ${host}:${port}: unknown port`);
    return { scheme: scheme || "http", host, port: n, kubelet: false };
  }

  /** upstream's pod rule (a global unicast IP), or a port the pod declares on this server's own loopback node. */
  private dialable(pod: Pod, ip: string | undefined, port: number | undefined): boolean {
    if (isGlobalUnicast(ip)) return true;
    if (!isLoopback(ip) || !this.loopbackNode || pod.spec?.nodeName !== this.loopbackNode || port === undefined) return false;
    return declaredPorts(pod).includes(port);
  }

  /** The pod an endpoint address names, if it is that pod's own IP (upstream's isValidAddress). */
  private async endpointPod(namespace: string, addr: { ip: string; targetRef?: { kind?: string; namespace?: string; name?: string } }): Promise<Pod | undefined> {
    const ref = addr.targetRef;
    if (ref?.kind !== "Pod" || ref.namespace !== namespace || !ref.name) return undefined;
    const pod = await this.objects.pod(namespace, ref.name).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
    return pod?.status?.podIPs?.some((p) => p.ip === addr.ip) || pod?.status?.podIP === addr.ip ? pod : undefined;
  }

  private async simulated(pod: Pod): Promise<boolean> {
    if (!pod.spec?.nodeName) return false;
    const node = await this.objects.node(pod.spec.nodeName).catch((err) => { if (isNotFound(err)) return undefined; throw err; });
    return Boolean(node && (!kubeletPortOf(node) || isSimulatedNode(node)));
  }

  /** A simulated pod's address is made up: nothing answers there, and its packets must not leave the machine. */
  private async refuseSimulated(pod: Pod): Promise<void> {
    if (await this.simulated(pod)) throw unavailable(`pod "${pod.metadata?.name}" runs on node "${pod.spec!.nodeName}", which has no kubelet (simulated nodes run nothing)`);
  }
}

function declaredPorts(pod: Pod): number[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
}

function namedPort(pod: Pod, name: string): number | undefined {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const p = c.ports?.find((q) => q.name === name);
    if (p) return p.containerPort;
  }
  return undefined;
}
