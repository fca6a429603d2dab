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
import { Proxier, type BaseProxierOptions } from "./proxier.js";
import type { Endpoint } from "./service-ports.js";
import type { ProxyMode } from "./proxy-metrics.js";

/** Where the userspace proxy answers a ClusterIP: the same last three octets in 127.0.0.0/8. */
export function loopbackAlias(clusterIP: string): string {
  const m = /^\d+\.(\d+\.\d+\.\d+)$/.exec(clusterIP);
  return m ? `127.${m[1]}` : clusterIP;
}

/** One Service port's targets, shared by every address it is answered on. */
interface Target {
  endpoints: Endpoint[];
  affinitySeconds: number;
  affinity: Map<string, { endpoint: Endpoint; until: number }>;
}

export class UserspaceProxier extends Proxier<BaseProxierOptions> {
  private readonly listeners = new Map<string, { server: Server; target: string }>();
  private readonly targets = new Map<string, Target>();

  override async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener("abort", () => this.stop(), { once: true });
    await super.start(signal);
  }

  /** Stops listening; relayed connections already open run to their end. */
  stop(): void {
    for (const { server } of this.listeners.values()) server.close();
    this.listeners.clear();
  }

  protected proxyMode(): ProxyMode {
    return "userspace";
  }

  /** Nothing is remembered outside this process: every round listens for what is wanted. */
  protected forget(): void {}

  /** Opens the listeners now wanted and closes the others; the targets behind them change in place. */
  protected async apply(): Promise<boolean> {
    const wanted = new Map<string, string>();
    const seenTargets = new Set<string>();
    for (const sp of this.ports()) {
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
    return true;
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
