/**
 * The Service data path of the process runtime, where pods are host
 * processes and Skiff may not program the kernel: a TCP relay in user space,
 * as kube-proxy's old userspace mode was. Each Service port is answered on
 * the loopback alias of its ClusterIP (10.96.3.7 becomes 127.96.3.7: all of
 * 127.0.0.0/8 is local on Linux, so no address is added and no root is
 * needed), which the kubelet hands to pods in the `<NAME>_SERVICE_HOST`
 * variables; NodePorts on the node's addresses, and LoadBalancer ports on the
 * addresses in the Service's status. A connection goes to a ready endpoint at
 * random (ClientIP affinity honoured); a Service port without one refuses
 * connections at once. UDP and SCTP are not relayed.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { InformerFactory, Resources, type Client, type Informer, type KubeObject } from "../client/index.js";
import { servicePorts, type Endpoint } from "./service-ports.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON
type Obj = KubeObject & Json;

/** Where the userspace proxy answers a ClusterIP: the same last three octets in 127.0.0.0/8. */
export function loopbackAlias(clusterIP: string): string {
  const m = /^\d+\.(\d+\.\d+\.\d+)$/.exec(clusterIP);
  return m ? `127.${m[1]}` : clusterIP;
}

export interface UserspaceProxierOptions {
  nodeName: string;
  nodeIPs: string[];
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** One Service port's targets, shared by every address it is answered on. */
interface Target {
  endpoints: Endpoint[];
  affinitySeconds: number;
  affinity: Map<string, { endpoint: Endpoint; until: number }>;
}

export class UserspaceProxier {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Obj>;
  private readonly slices: Informer<Obj>;
  private readonly listeners = new Map<string, { server: Server; target: string }>();
  private readonly targets = new Map<string, Target>();
  private timer?: NodeJS.Timeout;

  constructor(client: Client, private readonly options: UserspaceProxierOptions) {
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Obj>(Resources.services);
    this.slices = this.informers.informer<Obj>(Resources.endpointslices);
    const changed = () => this.schedule();
    for (const inf of [this.services, this.slices]) inf.addEventHandler({ add: changed, update: changed, delete: changed });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    await this.sync();
    signal.addEventListener("abort", () => { clearTimeout(this.timer); this.stop(); }, { once: true });
  }

  /** Stops listening; relayed connections already open run to their end. */
  stop(): void {
    for (const { server } of this.listeners.values()) server.close();
    this.listeners.clear();
  }

  /** The addresses answered now, as `address:port`. */
  addresses(): string[] {
    return [...this.listeners.keys()];
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, 5);
  }

  async sync(): Promise<void> {
    const wanted = new Map<string, string>();
    const seenTargets = new Set<string>();
    for (const sp of servicePorts(this.services.list(), this.slices.list(), this.options.nodeName)) {
      if (sp.protocol !== "TCP") continue;
      this.setTarget(`${sp.id}/internal`, sp.internal, sp.affinitySeconds);
      this.setTarget(`${sp.id}/external`, sp.external, sp.affinitySeconds);
      seenTargets.add(`${sp.id}/internal`).add(`${sp.id}/external`);
      wanted.set(`${loopbackAlias(sp.clusterIP)}:${sp.port}`, `${sp.id}/internal`);
      if (sp.nodePort) for (const nodeIP of this.options.nodeIPs) wanted.set(`${nodeIP}:${sp.nodePort}`, `${sp.id}/external`);
      for (const lb of sp.loadBalancerIPs) wanted.set(`${lb}:${sp.port}`, `${sp.id}/external`);
    }
    for (const key of this.targets.keys()) if (!seenTargets.has(key)) this.targets.delete(key);
    for (const [address, entry] of this.listeners) {
      if (wanted.get(address) === entry.target) continue;
      entry.server.close();
      this.listeners.delete(address);
    }
    await Promise.all([...wanted].filter(([address]) => !this.listeners.has(address)).map(([address, target]) => this.listen(address, target)));
  }

  private setTarget(key: string, endpoints: Endpoint[], affinitySeconds: number): void {
    const t = this.targets.get(key);
    if (!t) { this.targets.set(key, { endpoints, affinitySeconds, affinity: new Map() }); return; }
    t.endpoints = endpoints;
    t.affinitySeconds = affinitySeconds;
  }

  private async listen(address: string, target: string): Promise<void> {
    const i = address.lastIndexOf(":");
    const host = address.slice(0, i);
    const port = Number(address.slice(i + 1));
    const server = createServer((client) => this.relay(client, target));
    this.listeners.set(address, { server, target });
    try {
      await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(port, host, () => { server.off("error", reject); resolve(); }); });
    } catch (err) {
      if (this.listeners.get(address)?.server === server) this.listeners.delete(address);
      this.options.log?.("userspace proxy cannot listen", { address, err: (err as Error).message });
    }
  }

  private pick(t: Target, clientIP: string): Endpoint | undefined {
    if (!t.endpoints.length) return undefined;
    if (t.affinitySeconds) {
      const kept = t.affinity.get(clientIP);
      if (kept && kept.until > Date.now() && t.endpoints.some((e) => e.ip === kept.endpoint.ip && e.port === kept.endpoint.port)) {
        kept.until = Date.now() + t.affinitySeconds * 1000;
        return kept.endpoint;
      }
    }
    const endpoint = t.endpoints[Math.floor(Math.random() * t.endpoints.length)]!;
    if (t.affinitySeconds) t.affinity.set(clientIP, { endpoint, until: Date.now() + t.affinitySeconds * 1000 });
    return endpoint;
  }

  private relay(client: Socket, target: string): void {
    const t = this.targets.get(target);
    const endpoint = t && this.pick(t, client.remoteAddress ?? "");
    // No ready endpoint: the connection is reset at once, as the kernel rules reject it.
    if (!endpoint) { client.resetAndDestroy(); return; }
    const upstream = connect(endpoint.port, endpoint.ip);
    client.pipe(upstream).pipe(client);
    upstream.on("error", () => client.resetAndDestroy());
    client.on("error", () => upstream.destroy());
  }
}
