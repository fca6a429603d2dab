/**
 * ClusterIP and NodePort allocation for Services, as upstream's Service
 * registry does around storage: addresses and ports are taken before the
 * write (and given back when it fails), released when an update gives them
 * up or the Service is deleted.
 *
 * The ranges are kept in this server's memory, loaded from storage at start;
 * with several API servers on one store two could hand out the same address
 * (upstream keeps the allocation bitmap in storage): a known gap.
 */
import { ApiError, invalid, type FieldError } from "../../../../api/errors.js";
import { cidrRange, ipToNumber, numberToIp, RangeAllocator } from "../../allocator.js";
import type { Obj, StorageHooks, WriteOptions } from "../../object-store.js";

export class ServiceAllocations implements StorageHooks {
  readonly clusterIPs: RangeAllocator;
  readonly nodePorts = new RangeAllocator(30000, 32767, "nodePort");

  constructor(serviceCidr = "10.96.0.0/16") {
    const r = cidrRange(serviceCidr);
    this.clusterIPs = new RangeAllocator(r.first, r.last, "clusterIP");
  }

  /** Marks the addresses and ports of a stored Service as taken (used at start-up). */
  recordService(svc: Obj): void {
    const ip = ipToNumber(svc.spec?.clusterIP ?? "");
    if (ip !== undefined) this.clusterIPs.take(ip);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) this.nodePorts.take(p.nodePort);
  }

  beforeWrite(svc: Obj, old: Obj | undefined, opts: WriteOptions): (() => void) | void {
    if (opts.subresource === "status") return;
    return this.allocate(svc, old, Boolean(opts.dryRun));
  }

  afterUpdate(obj: Obj, old: Obj): void {
    // Ports or the address given up by an update go back to the pool.
    const kept = new Set((obj.spec?.ports ?? []).map((p: Obj) => p.nodePort));
    for (const p of old.spec?.ports ?? []) if (p.nodePort && !kept.has(p.nodePort)) this.nodePorts.release(p.nodePort);
    if (old.spec?.clusterIP && obj.spec?.clusterIP !== old.spec.clusterIP) this.releaseIP(old.spec.clusterIP);
  }

  afterDelete(obj: Obj): void {
    this.releaseIP(obj.spec?.clusterIP);
    for (const p of obj.spec?.ports ?? []) if (p.nodePort) this.nodePorts.release(p.nodePort);
  }

  private releaseIP(ip: string | undefined): void {
    const n = ipToNumber(ip ?? "");
    if (n !== undefined) this.clusterIPs.release(n);
  }

  /** Takes the addresses and ports a Service asks for (or assigns them); returns how to give them back. */
  private allocate(svc: Obj, old: Obj | undefined, dryRun: boolean): () => void {
    const spec = svc.spec;
    const errs: FieldError[] = [];
    const taken: (() => void)[] = [];
    const rollback = () => taken.forEach((undo) => undo());
    if (spec.type === "ExternalName") {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else if (old?.spec?.clusterIP && old.spec.type !== "ExternalName") {
      spec.clusterIP ??= old.spec.clusterIP;
      spec.clusterIPs ??= old.spec.clusterIPs;
    } else if (spec.clusterIP === "None") {
      spec.clusterIPs = ["None"];
    } else if (spec.clusterIP) {
      const n = ipToNumber(spec.clusterIP);
      if (n === undefined || !this.clusterIPs.inRange(n)) {
        errs.push({ type: "FieldValueInvalid", field: "spec.clusterIPs", value: [spec.clusterIP], detail: "failed to allocate IP " + spec.clusterIP + ": the provided IP (" + spec.clusterIP + ") is not in the valid range. The range of valid IPs is 10.96.0.0/16" });
      } else if (!dryRun && !this.clusterIPs.take(n)) {
        errs.push({ type: "FieldValueInvalid", field: "spec.clusterIPs", value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
      } else if (!dryRun) {
        taken.push(() => this.clusterIPs.release(n));
      }
      spec.clusterIPs = [spec.clusterIP];
    } else {
      const n = dryRun ? undefined : this.clusterIPs.allocate();
      if (!dryRun && n === undefined) throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
      if (n !== undefined) taken.push(() => this.clusterIPs.release(n));
      spec.clusterIP = n === undefined ? "10.96.0.0" : numberToIp(n);
      spec.clusterIPs = [spec.clusterIP];
    }
    if (spec.type !== "ExternalName") {
      spec.ipFamilies ??= ["IPv4"];
      spec.ipFamilyPolicy ??= "SingleStack";
    }
    const wantsNodePorts = spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);
    const oldPorts = new Map<string, number>();
    for (const p of old?.spec?.ports ?? []) if (p.nodePort) oldPorts.set(`${p.port}/${p.protocol}`, p.nodePort);
    for (const [i, p] of (spec.ports ?? []).entries()) {
      if (!wantsNodePorts) { delete p.nodePort; continue; }
      const previous = oldPorts.get(`${p.port}/${p.protocol}`);
      if (p.nodePort === undefined && previous !== undefined) p.nodePort = previous;
      if (p.nodePort !== undefined && p.nodePort === previous) continue;
      if (p.nodePort !== undefined) {
        if (!dryRun && !this.nodePorts.take(p.nodePort)) {
          errs.push({ type: "FieldValueInvalid", field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: "provided port is already allocated" });
        } else if (!dryRun) {
          const port = p.nodePort;
          taken.push(() => this.nodePorts.release(port));
        }
      } else if (!dryRun) {
        const port = this.nodePorts.allocate();
        if (port === undefined) { rollback(); throw new ApiError(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full"); }
        taken.push(() => this.nodePorts.release(port));
        p.nodePort = port;
      }
    }
    if (errs.length) {
      rollback();
      throw invalid("Service", "", svc.metadata.name, errs);
    }
    return rollback;
  }

}
