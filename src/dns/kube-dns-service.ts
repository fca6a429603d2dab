/**
 * The cluster's one `kube-dns` Service in kube-system at the cluster DNS
 * address, and its EndpointSlice naming every node's DNS server, kept by the
 * server (as upstream's CoreDNS Service comes from one manifest): a
 * cluster-wide singleton that no node creates or writes, since a node's DNS
 * acts as system:coredns, which only reads.
 *
 * Each node runs a DNS server in-process on its node address, where
 * upstream runs CoreDNS pods, and says so on its own Node (the annotation
 * CLUSTER_DNS_ADDRESS_ANNOTATION, which the kubelet's identity may write).
 * The server turns the Nodes into the endpoints: the announced address if it
 * is one of the Node's addresses, port 53, ready while the Node is Ready.
 * The Service's internalTrafficPolicy is Local, so a pod asks the DNS server
 * of its own node, as NodeLocal DNSCache answers on the node upstream: every
 * node has one, and a query never depends on the path between nodes.
 */
import type { Node, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { isAlreadyExists, isConflict, isNotFound } from "../api/errors.js";
import { jsonEqual } from "../api/json-equal.js";
import { InformerFactory, Resources, WorkQueue, runWorkers, type Client, type Informer, type Kube } from "../client/index.js";

export const CLUSTER_DNS_IP = "10.96.0.10";
/** The port every node's DNS server listens on, at its node address. */
export const CLUSTER_DNS_PORT = 53;
/** Set by a node on its own Node: the address its DNS server listens on. */
export const CLUSTER_DNS_ADDRESS_ANNOTATION = "skiff.dev/cluster-dns-address";
export const KUBE_DNS_SLICE = "kube-dns-skiff";
/** The work queue's key for the Service (the slice's is its name). */
const SERVICE_KEY = "service/kube-dns";

const NAMESPACE = "kube-system";
const PORTS = [{ name: "dns", protocol: "UDP" }, { name: "dns-tcp", protocol: "TCP" }];

/** The kube-dns Service as the server creates it. */
export function kubeDnsService(): Kube<Service> {
  return {
    apiVersion: "v1", kind: "Service",
    metadata: { name: "kube-dns", namespace: NAMESPACE, labels: { "k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS" } },
    spec: {
      clusterIP: CLUSTER_DNS_IP, internalTrafficPolicy: "Local",
      ports: PORTS.map((p) => ({ ...p, port: 53, targetPort: CLUSTER_DNS_PORT })),
    },
  };
}

/** The slice's endpoints: one per node that announces a DNS server at one of its addresses, in name order. */
export function kubeDnsEndpoints(nodes: Kube<Node>[]): NonNullable<EndpointSlice["endpoints"]> {
  return nodes
    .flatMap((node) => {
      const address = node.metadata.annotations?.[CLUSTER_DNS_ADDRESS_ANNOTATION];
      if (!address || !(node.status?.addresses ?? []).some((a) => a.address === address)) return [];
      const ready = (node.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      return [{ addresses: [address], conditions: { ready, serving: ready, terminating: false }, nodeName: node.metadata.name! }];
    })
    .sort((a, b) => a.nodeName.localeCompare(b.nodeName));
}

export class KubeDnsService {
  private readonly informers: InformerFactory;
  private readonly nodes: Informer<Kube<Node>>;
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 30_000 });

  constructor(private readonly client: Client, private readonly log: (msg: string, fields?: Record<string, unknown>) => void) {
    this.informers = new InformerFactory(client);
    this.nodes = this.informers.informer<Kube<Node>>(Resources.nodes);
    const enqueue = () => this.queue.add(KUBE_DNS_SLICE);
    this.nodes.addEventHandler({ add: enqueue, update: enqueue, delete: enqueue });
  }

  /**
   * Resolves once the Nodes are listed; the Service and the slice follow in
   * the background, retried with backoff, so that a datastore slow to answer
   * delays cluster DNS rather than stops the server.
   */
  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    signal.addEventListener("abort", () => this.queue.shutDown(), { once: true });
    this.queue.add(SERVICE_KEY);
    this.queue.add(KUBE_DNS_SLICE);
    void runWorkers(this.queue, 1, (key) => (key === SERVICE_KEY ? this.ensureService() : this.syncSlice()),
      (key, err) => this.log(key === SERVICE_KEY ? "kube-dns Service failed" : "kube-dns endpoints failed", { err: String(err) }));
  }

  /** Creates the Service once; one made before it was node-local is made so (the only field this keeps). */
  private async ensureService(): Promise<void> {
    // Read first: a create of the existing Service asks for its taken ClusterIP again, which the
    // allocator refuses (422) before the name is found taken.
    let current = await this.client.get<Kube<Service>>(Resources.services, NAMESPACE, "kube-dns").catch((err) => { if (isNotFound(err)) return undefined; throw err; });
    if (!current) {
      try {
        await this.client.create(Resources.services, NAMESPACE, kubeDnsService());
        this.log("kube-dns Service created", { service: `${NAMESPACE}/kube-dns`, clusterIP: CLUSTER_DNS_IP });
        return;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      current = await this.client.get<Kube<Service>>(Resources.services, NAMESPACE, "kube-dns");
    }
    if (current.spec?.internalTrafficPolicy === "Local") return;
    await this.client.update(Resources.services, NAMESPACE, { ...current, spec: { ...current.spec, internalTrafficPolicy: "Local" } });
  }

  private async syncSlice(): Promise<void> {
    const slice: Kube<EndpointSlice> = {
      apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
      metadata: { name: KUBE_DNS_SLICE, namespace: NAMESPACE, labels: { "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": "skiff-dns" } },
      addressType: "IPv4",
      endpoints: kubeDnsEndpoints(this.nodes.list()),
      ports: PORTS.map((p) => ({ ...p, port: CLUSTER_DNS_PORT })),
    };
    let current: Kube<EndpointSlice>;
    try {
      current = await this.client.get<Kube<EndpointSlice>>(Resources.endpointslices, NAMESPACE, KUBE_DNS_SLICE);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.client.create(Resources.endpointslices, NAMESPACE, slice);
      return;
    }
    if (jsonEqual(current.endpoints ?? [], slice.endpoints) && jsonEqual(current.ports ?? [], slice.ports) && jsonEqual(current.metadata.labels ?? {}, slice.metadata.labels)) return;
    // Several servers on one datastore compute the same slice; a conflict is retried against the newer one.
    await this.client.update(Resources.endpointslices, NAMESPACE, { ...current, ...slice, metadata: { ...current.metadata, labels: slice.metadata.labels } })
      .catch((err) => { if (isConflict(err)) this.queue.add(KUBE_DNS_SLICE); else throw err; });
  }
}
