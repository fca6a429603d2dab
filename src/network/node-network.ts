/**
 * This node's side of the pod network between nodes: it publishes its
 * backend, public IP and (vxlan) VTEP MAC as annotations on its own Node,
 * as flannel publishes `flannel.alpha.coreos.com/*`, and keeps the overlay's
 * routes to every other node of the same backend from the Nodes' pod CIDRs
 * and annotations. It acts as the kubelet (system:node:NAME), which may read
 * Nodes and patch its own.
 */
import type { Node } from "kubernetes-types/core/v1.js";
import { InformerFactory, Resources, type Client, type KubeObject } from "../client/index.js";
import { Overlay, type NetworkBackend, type Peer } from "./overlay.js";
import type { Runner } from "./commands.js";

export const BACKEND_ANNOTATION = "skiff.dev/network-backend";
export const PUBLIC_IP_ANNOTATION = "skiff.dev/network-public-ip";
export const VTEP_MAC_ANNOTATION = "skiff.dev/network-vtep-mac";

/** What the node IPAM controller hands out from (its default), unless told otherwise. */
export const DEFAULT_CLUSTER_CIDR = "10.244.0.0/16";

type NodeObject = Node & KubeObject;

export interface NodeNetworkOptions {
  nodeName: string;
  backend: NetworkBackend;
  publicIP: string;
  podCIDR: string;
  clusterCIDR?: string;
  /** vxlan: the device's MTU (the Overlay's default otherwise). */
  mtu?: number;
  run?: Runner;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** The peer a Node stands for, when it takes part in the same backend. */
export function peerOf(node: NodeObject, backend: NetworkBackend): Peer | undefined {
  const a = node.metadata.annotations ?? {};
  const podCIDR = node.spec?.podCIDR;
  const publicIP = a[PUBLIC_IP_ANNOTATION];
  if (a[BACKEND_ANNOTATION] !== backend || !podCIDR || !publicIP) return undefined;
  return { name: node.metadata.name ?? "", podCIDR, publicIP, vtepMAC: a[VTEP_MAC_ANNOTATION] };
}

export class NodeNetwork {
  private readonly overlay: Overlay;

  constructor(private readonly client: Client, private readonly options: NodeNetworkOptions) {
    this.overlay = new Overlay({
      backend: options.backend, publicIP: options.publicIP, podCIDR: options.podCIDR,
      clusterCIDR: options.clusterCIDR ?? DEFAULT_CLUSTER_CIDR, mtu: options.mtu, run: options.run, log: options.log,
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { vtepMAC } = this.overlay.start();
    const { nodeName, backend, publicIP } = this.options;
    await this.client.patch(Resources.nodes, undefined, nodeName, {
      metadata: { annotations: { [BACKEND_ANNOTATION]: backend, [PUBLIC_IP_ANNOTATION]: publicIP, [VTEP_MAC_ANNOTATION]: vtepMAC ?? null } },
    });
    const informers = new InformerFactory(this.client);
    const nodes = informers.informer<NodeObject>(Resources.nodes);
    const sync = () => this.overlay.sync(nodes.list().map((n) => peerOf(n, backend)).filter((p): p is Peer => Boolean(p)));
    nodes.addEventHandler({ add: sync, update: sync, delete: sync });
    informers.start(signal);
    await informers.waitForCacheSync();
    sync();
    this.options.log?.("pod network between nodes", { backend, publicIP, podCIDR: this.options.podCIDR, ...(vtepMAC ? { vtepMAC } : {}) });
  }

  /** Removes the routes, entries and device this node added. */
  stop(): void {
    this.overlay.stop();
  }
}
