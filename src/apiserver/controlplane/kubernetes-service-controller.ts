/**
 * Upstream's kubernetes Service controller, run by every API server off the
 * request path: the `default/kubernetes` Service exists with this server's
 * port as its target, and every interval this server's master lease is
 * refreshed and the Service's endpoints brought to the live leases
 * (lease-endpoint-reconciler.ts). On a clean stop the server gives up its
 * lease and leaves the endpoints at once.
 */
import { isAlreadyExists, isApiError, isNotFound } from "../../api/errors.js";
import type { Service } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../api/kube-object.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { Obj, ObjectStore } from "../registry/object-store.js";
import type { LeaseEndpointReconciler } from "./lease-endpoint-reconciler.js";

/** Upstream's --endpoint-reconciler interval (EndpointInterval). */
export const DEFAULT_ENDPOINT_INTERVAL_MS = 10_000;

export interface KubernetesServiceControllerOptions {
  objects: ObjectStore;
  services: ResourceInfo;
  reconciler: LeaseEndpointReconciler;
  /** The address this server is reached at (upstream's --advertise-address). */
  address: string;
  /** The port it serves on. */
  port: number;
  intervalMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class KubernetesServiceController {
  private address: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** One sync at a time: a tick, a new address and the stop follow one another. */
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly options: KubernetesServiceControllerOptions) {
    this.address = options.address;
  }

  /** The first sync, awaited (its failure logged, the ticks try again), then one every interval. */
  async start(): Promise<void> {
    await this.enqueue(() => this.sync());
    this.timer = setInterval(() => void this.enqueue(() => this.sync()), this.options.intervalMs ?? DEFAULT_ENDPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /** The server is reached at another address now: the old one leaves the endpoints, the new one joins. */
  setAddress(address: string): Promise<void> {
    return this.enqueue(async () => {
      const old = this.address;
      this.address = address;
      if (old !== address) await this.options.reconciler.removeEndpoints(old, this.options.port);
      await this.sync();
    }, true);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.enqueue(async () => {
      this.stopped = true;
      await this.options.reconciler.removeEndpoints(this.address, this.options.port);
    });
  }

  /** Runs step after the ones before it; its error goes to the caller with rethrow, else to the log (a tick tries again). */
  private enqueue(step: () => Promise<void>, rethrow = false): Promise<void> {
    const run = this.tail.then(() => (this.stopped ? undefined : step()));
    const settled = rethrow
      ? run.catch(() => undefined)
      : run.catch((err) => this.options.log?.("kubernetes service endpoints not reconciled", { address: this.address, err: String(err) }));
    this.tail = settled;
    return rethrow ? run : settled;
  }

  private async sync(): Promise<void> {
    await this.ensureService();
    await this.options.reconciler.reconcileEndpoints(this.address, this.options.port);
  }

  /** Created when missing, its target port this server's; left alone otherwise, as upstream's CreateOrUpdateMasterServiceIfNeeded. */
  private async ensureService(): Promise<void> {
    const { objects, services, port } = this.options;
    try {
      await objects.guaranteedUpdate(services, "default", "kubernetes", (stored) => {
        const svc = stored as Kube<Service> | undefined;
        const first = svc!.spec?.ports?.[0];
        if (first && first.targetPort !== port) first.targetPort = port;
        delete stored!.metadata.resourceVersion; // a lost swap is retried, not a 409
        return svc!;
      }, { fieldManager: "skiff-apiserver" });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await objects.create(services, "default", {
        metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
        spec: { clusterIP: "10.96.0.1", ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: port }], sessionAffinity: "None", type: "ClusterIP" },
      }, { fieldManager: "skiff-apiserver" });
    } catch (err) {
      // Another server created it first, or holds 10.96.0.1 for its create this very moment.
      const ipTaken = isApiError(err, "Invalid") && (err.details?.causes ?? []).some((c) => c.field === "spec.clusterIPs");
      if (!isAlreadyExists(err) && !ipTaken) throw err;
    }
  }
}
