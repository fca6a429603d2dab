/**
 * ServiceLB (as k3s ships it): a Service of type LoadBalancer without a
 * loadBalancerClass gets the addresses of the cluster's Ready nodes in
 * `status.loadBalancer.ingress`, and every node's proxier answers the
 * Service's own ports there. It is one controller for the cluster, run by the
 * server as k3s runs its servicelb controller, not one per node: nodes that
 * each wrote their own address would overwrite each other without end, and a
 * node's identity may not write Services' status.
 */
import type { Node, Service } from "kubernetes-types/core/v1.js";
import { isConflict, isNotFound } from "../api/errors.js";
import { jsonEqual } from "../api/json-equal.js";
import { InformerFactory, Resources, WorkQueue, runWorkers, type Client, type Informer, type Kube } from "../client/index.js";

/** The addresses a LoadBalancer Service is reachable at: each Ready node's InternalIP, once, in order. */
export function loadBalancerAddresses(nodes: Kube<Node>[]): string[] {
  const ips = nodes
    .filter((n) => (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"))
    .flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address));
  return [...new Set(ips)].sort();
}

export class ServiceLB {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Kube<Service>>;
  private readonly nodes: Informer<Kube<Node>>;
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 30_000 });

  constructor(private readonly client: Client, private readonly log?: (msg: string, fields?: Record<string, unknown>) => void) {
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Kube<Service>>(Resources.services);
    this.nodes = this.informers.informer<Kube<Node>>(Resources.nodes);
    const enqueue = (svc: Kube<Service>) => { if (isServiceLB(svc)) this.queue.add(`${svc.metadata.namespace}/${svc.metadata.name}`); };
    this.services.addEventHandler({ add: enqueue, update: (_a, b) => enqueue(b) });
    // A node's address or readiness changes every LoadBalancer Service's status; only a change of the addresses writes.
    const all = () => { for (const svc of this.services.list()) enqueue(svc); };
    this.nodes.addEventHandler({ add: all, update: all, delete: all });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    signal.addEventListener("abort", () => this.queue.shutDown(), { once: true });
    void runWorkers(this.queue, 1, (key) => this.sync(key), (key, err) => this.log?.("service load balancer status failed", { service: key, err: String(err) }));
  }

  private async sync(key: string): Promise<void> {
    const svc = this.services.get(key);
    if (!svc || !isServiceLB(svc)) return;
    const ingress = loadBalancerAddresses(this.nodes.list()).map((ip) => ({ ip, ipMode: "VIP" }));
    if (jsonEqual(svc.status?.loadBalancer?.ingress ?? [], ingress)) return;
    await this.client.patch(Resources.services, svc.metadata.namespace, svc.metadata.name!, { status: { loadBalancer: { ingress } } }, "merge", "status")
      .catch((err) => { if (!isNotFound(err) && !isConflict(err)) throw err; });
  }
}

const isServiceLB = (svc: Kube<Service>) => svc.spec?.type === "LoadBalancer" && !svc.spec.loadBalancerClass;
