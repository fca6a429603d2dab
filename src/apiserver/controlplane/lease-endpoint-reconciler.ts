/**
 * Upstream's lease endpoint reconciler: the `default/kubernetes` Endpoints
 * (and its EndpointSlice, as upstream's EndpointsAdapter writes both) list
 * every API server that holds a live master lease, sorted, on one port
 * named `https`.
 *
 * Idempotent: an unchanged list writes nothing. With no live lease at all
 * (the last server stopping) the endpoints are left as they are, as
 * upstream refuses to erase all of them.
 */
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Endpoints } from "kubernetes-types/core/v1.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { Obj, ObjectStore } from "../registry/object-store.js";
import type { MasterLeases } from "./master-leases.js";

export interface LeaseEndpointReconcilerOptions {
  objects: ObjectStore;
  leases: MasterLeases;
  endpoints: ResourceInfo;
  endpointSlices: ResourceInfo;
}

const NAME = "kubernetes";
const FIELD_MANAGER = "skiff-apiserver";

export class LeaseEndpointReconciler {
  constructor(private readonly options: LeaseEndpointReconcilerOptions) {}

  /** Refreshes ip's lease and brings the endpoints to the live leases. */
  async reconcileEndpoints(ip: string, port: number): Promise<void> {
    await this.options.leases.update(ip);
    await this.reconcile(port);
  }

  /** Drops ip's lease and its address from the endpoints at once (a clean shutdown, or a new advertised address). */
  async removeEndpoints(ip: string, port: number): Promise<void> {
    await this.options.leases.remove(ip);
    await this.reconcile(port);
  }

  private async reconcile(port: number): Promise<void> {
    const ports = [{ name: "https", port, protocol: "TCP" }];
    await this.upsert(this.options.endpoints, (ips): Endpoints => ({
      metadata: { name: NAME, labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
      subsets: [{ addresses: ips.map((ip) => ({ ip })), ports }],
    }));
    await this.upsert(this.options.endpointSlices, (ips): EndpointSlice => ({
      metadata: { name: NAME, labels: { "kubernetes.io/service-name": NAME } },
      addressType: "IPv4",
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports,
    }));
  }

  /**
   * The leases are listed after the object is read, inside the
   * compare-and-swap: a server that removed its lease and then wrote the
   * object makes a concurrent writer with an older list lose its swap and
   * list again, so the last write never brings a stopped server back.
   * Other fields of the stored object stay; labels are merged; an unchanged
   * object is not written.
   */
  private async upsert(info: ResourceInfo, build: (ips: string[]) => Endpoints | EndpointSlice): Promise<void> {
    await this.options.objects.guaranteedUpdate(info, "default", NAME, async (cur) => {
      const ips = await this.options.leases.list();
      if (!ips.length && cur) return cur;
      const { metadata, ...content } = build(ips) as Obj;
      return {
        ...(cur ?? {}), ...content,
        // No resourceVersion: a lost swap is retried on the fresh object, not a 409.
        metadata: { ...(cur?.metadata ?? {}), resourceVersion: undefined, name: NAME, labels: { ...(cur?.metadata?.labels ?? {}), ...metadata.labels } },
      };
    }, { fieldManager: FIELD_MANAGER, allowCreate: true });
  }
}
