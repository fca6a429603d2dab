/**
 * ServiceLB (as k3s ships it): a Service of type LoadBalancer without a
 * loadBalancerClass gets this node's address in `status.loadBalancer.ingress`,
 * and the proxier answers the Service's own ports there.
 */
import { InformerFactory, Resources, type Client, type Informer, type KubeObject } from "../client/index.js";
import { jsonEqual } from "../api/json-equal.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON
type Obj = KubeObject & Json;

export class ServiceLB {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Obj>;

  constructor(private readonly client: Client, private readonly nodeIPs: string[], private readonly log?: (msg: string, fields?: Record<string, unknown>) => void) {
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Obj>(Resources.services);
    const consider = (svc: Obj) => void this.sync(svc).catch((err) => this.log?.("service load balancer status failed", { service: `${svc.metadata.namespace}/${svc.metadata.name}`, err: String(err) }));
    this.services.addEventHandler({ add: consider, update: (_a, b) => consider(b) });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
  }

  private async sync(svc: Obj): Promise<void> {
    if (svc.spec?.type !== "LoadBalancer" || svc.spec.loadBalancerClass) return;
    const ingress = this.nodeIPs.map((ip) => ({ ip, ipMode: "VIP" }));
    if (jsonEqual(svc.status?.loadBalancer?.ingress ?? [], ingress)) return;
    await this.client.patch(Resources.services, svc.metadata.namespace, svc.metadata.name!, { status: { loadBalancer: { ingress } } }, "merge", "status");
  }
}
