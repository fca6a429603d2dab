/**
 * ClusterIP and NodePort allocation for Services, as upstream's Service
 * registry does around storage: addresses and ports are taken before the
 * write (and given back when it fails), released when an update gives them
 * up or the Service is deleted.
 *
 * The allocations live in storage (storage-allocator.ts), so API servers on
 * one store never hand out an address twice. What a crash between taking and
 * writing leaves taken, the repair loop (allocation-repair.ts) gives back.
 */
import { ApiError, invalid, type FieldError } from "../../../../api/errors.js";
import type { Store } from "../../../../storage/index.js";
import { AllocationError, ipToNumber, nodePortRange, numberToIp, serviceIPRange } from "../../allocator.js";
import { StorageAllocator } from "../../storage-allocator.js";
import type { Service } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../../api/kube-object.js";
import type { Obj, StorageHooks, WriteOptions } from "../../object-store.js";

export const SERVICE_IPS_KEY = "/registry/ranges/serviceips";
export const SERVICE_NODE_PORTS_KEY = "/registry/ranges/servicenodeports";

export interface ServiceAllocationsOptions {
  store: Store;
  /** Upstream's --service-cluster-ip-range (default 10.96.0.0/16). */
  serviceCidr?: string;
  /** Upstream's --service-node-port-range (default 30000-32767). */
  nodePorts?: { first: number; last: number };
  /** Called when an allocation could not be given back (the repair loop will). */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  random?: () => number;
}

/** One thing taken for a write, to give back if the write fails. */
type Taken = { ip: number } | { port: number };

export class ServiceAllocations implements StorageHooks {
  readonly clusterIPs: StorageAllocator;
  readonly nodePorts: StorageAllocator;
  private readonly log?: ServiceAllocationsOptions["log"];

  constructor(options: ServiceAllocationsOptions) {
    const cidr = options.serviceCidr ?? "10.96.0.0/16";
    const ports = options.nodePorts ?? { first: 30000, last: 32767 };
    this.clusterIPs = new StorageAllocator(options.store, SERVICE_IPS_KEY, "serviceipallocations", serviceIPRange(cidr), options.random);
    this.nodePorts = new StorageAllocator(options.store, SERVICE_NODE_PORTS_KEY, "servicenodeportallocations", nodePortRange(ports.first, ports.last), options.random);
    this.log = options.log;
  }

  async beforeWrite(svc: Obj, old: Obj | undefined, opts: WriteOptions): Promise<(() => Promise<void>) | void> {
    if (opts.subresource === "status") return;
    const taken = await this.allocate(svc as Kube<Service>, old as Kube<Service> | undefined, Boolean(opts.dryRun));
    if (taken.length) return () => this.giveBack(taken);
  }

  async afterUpdate(updated: Obj, previous: Obj): Promise<void> {
    const obj = updated as Kube<Service>;
    const old = previous as Kube<Service>;
    // Ports or the address given up by an update go back to the pool.
    const kept = new Set(nodePortsOf(obj));
    const ports = nodePortsOf(old).filter((p) => !kept.has(p));
    const ip = old.spec?.clusterIP !== obj.spec?.clusterIP ? ipToNumber(old.spec?.clusterIP ?? "") : undefined;
    await this.giveBack([...ports.map((port) => ({ port })), ...(ip === undefined ? [] : [{ ip }])]);
  }

  async afterDelete(obj: Obj): Promise<void> {
    const ip = ipToNumber((obj as Kube<Service>).spec?.clusterIP ?? "");
    await this.giveBack([...nodePortsOf(obj).map((port) => ({ port })), ...(ip === undefined ? [] : [{ ip }])]);
  }

  /** Never throws: the object's write is done, and what is not given back now the repair loop finds as a leak. */
  private async giveBack(taken: Taken[]): Promise<void> {
    const ips = taken.flatMap((t) => ("ip" in t ? [t.ip] : []));
    const ports = taken.flatMap((t) => ("port" in t ? [t.port] : []));
    await Promise.all([
      ips.length ? this.clusterIPs.release(ips) : undefined,
      ports.length ? this.nodePorts.release(ports) : undefined,
    ].map((p) => p?.catch((err) => this.log?.("allocation not released; the repair loop will", { ips: ips.map(numberToIp), ports, err: String(err) }))));
  }

  /** Takes the addresses and ports a Service asks for (or assigns them); returns what it took. */
  private async allocate(svc: Kube<Service>, old: Kube<Service> | undefined, dryRun: boolean): Promise<Taken[]> {
    const taken: Taken[] = [];
    // The two ranges are apart: taken side by side; the address's error, if both fail, is the one told (upstream takes it first).
    const [ip, ports] = await Promise.allSettled([this.allocateClusterIP(svc, old, dryRun, taken), this.allocateNodePorts(svc, old, dryRun, taken)]);
    const failed = [ip, ports].find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await this.giveBack(taken);
      throw failed.reason;
    }
    return taken;
  }

  private async allocateClusterIP(svc: Kube<Service>, old: Kube<Service> | undefined, dryRun: boolean, taken: Taken[]): Promise<void> {
    const spec = svc.spec!; // defaulted by the strategy
    if (spec.type === "ExternalName") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      return;
    }
    spec.ipFamilies ??= ["IPv4"];
    spec.ipFamilyPolicy ??= "SingleStack";
    if (old?.spec?.clusterIP && old.spec.type !== "ExternalName") {
      spec.clusterIP ??= old.spec.clusterIP;
      spec.clusterIPs ??= old.spec.clusterIPs;
      return;
    }
    if (spec.clusterIP === "None") {
      spec.clusterIPs = ["None"];
      return;
    }
    if (!spec.clusterIP) {
      if (dryRun) {
        spec.clusterIP = "10.96.0.0";
      } else {
        const n = await this.clusterIPs.allocateNext().catch((err) => { throw full(err, "failed to allocate a serviceIP"); });
        taken.push({ ip: n });
        spec.clusterIP = numberToIp(n);
      }
      spec.clusterIPs = [spec.clusterIP];
      return;
    }
    const ip: string = spec.clusterIP;
    spec.clusterIPs = [ip];
    const fail = (detail: string): never => {
      throw invalid("Service", "", svc.metadata.name ?? "", [{ type: "FieldValueInvalid", field: "spec.clusterIPs", value: [ip], detail: `failed to allocate IP ${ip}: ${detail}` }]);
    };
    const n = ipToNumber(ip);
    const range = this.clusterIPs.spec;
    if (n === undefined || n < range.first || n >= range.first + range.size) fail(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${range.range}`);
    try {
      if (dryRun) {
        if (await this.clusterIPs.has(n!)) fail("provided IP is already allocated");
        return;
      }
      await this.clusterIPs.allocate(n!);
      taken.push({ ip: n! });
    } catch (err) {
      if (err instanceof AllocationError && err.reason === "allocated") fail("provided IP is already allocated");
      throw err;
    }
  }

  /**
   * Upstream's initNodePorts/updateNodePorts: ports with the same port
   * number (TCP and UDP of 53, say) share one node port; an update keeps the
   * node port a port had.
   */
  private async allocateNodePorts(svc: Kube<Service>, old: Kube<Service> | undefined, dryRun: boolean, taken: Taken[]): Promise<void> {
    const spec = svc.spec!; // defaulted by the strategy
    const type = spec.type ?? "ClusterIP";
    const allocates = type === "NodePort" || (type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
    const oldPorts = new Map<string, number>();
    for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol}`, p.nodePort);
    const oldNodePorts = new Set(oldPorts.values());
    const byPort = new Map<number, number>();
    const range = this.nodePorts.spec;
    for (const [i, p] of (spec.ports ?? []).entries()) {
      if (type !== "NodePort" && type !== "LoadBalancer") { delete p.nodePort; continue; }
      const previous = oldPorts.get(`${p.port}/${p.protocol}`);
      if (p.nodePort === undefined && previous !== undefined) p.nodePort = previous;
      if (p.nodePort === undefined && byPort.has(p.port)) p.nodePort = byPort.get(p.port);
      if (p.nodePort === undefined && !allocates) continue;
      // Held already: by this Service before the update, or by another port of this write.
      if (p.nodePort !== undefined && (oldNodePorts.has(p.nodePort) || taken.some((t) => "port" in t && t.port === p.nodePort))) {
        byPort.set(p.port, p.nodePort);
        continue;
      }
      if (p.nodePort === undefined) {
        if (dryRun) continue;
        const port = await this.nodePorts.allocateNext().catch((err) => { throw full(err, "failed to allocate a nodePort"); });
        taken.push({ port });
        p.nodePort = port;
        byPort.set(p.port, port);
        continue;
      }
      const nodePort: number = p.nodePort;
      const fail = (detail: string): never => {
        throw invalid("Service", "", svc.metadata.name ?? "", [{ type: "FieldValueInvalid", field: `spec.ports[${i}].nodePort`, value: nodePort, detail } satisfies FieldError]);
      };
      if (nodePort < range.first || nodePort >= range.first + range.size) fail(`provided port is not in the valid range. The range of valid ports is ${range.range}`);
      try {
        if (dryRun) {
          if (await this.nodePorts.has(nodePort)) fail("provided port is already allocated");
        } else {
          await this.nodePorts.allocate(nodePort);
          taken.push({ port: nodePort });
        }
      } catch (err) {
        if (err instanceof AllocationError && err.reason === "allocated") fail("provided port is already allocated");
        throw err;
      }
      byPort.set(p.port, nodePort);
    }
  }
}

/** The node ports a Service holds, each once. */
export function nodePortsOf(svc: Obj): number[] {
  return [...new Set<number>(((svc as Kube<Service>).spec?.ports ?? []).map((p) => p.nodePort).filter((n: unknown): n is number => typeof n === "number" && n > 0))];
}

function full(err: unknown, what: string): unknown {
  return err instanceof AllocationError && err.reason === "full" ? new ApiError(500, "InternalError", `Internal error occurred: ${what}: range is full`) : err;
}
