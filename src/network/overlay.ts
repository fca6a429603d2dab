/**
 * Routes to other nodes' pod CIDRs, the part of flannel that k3s embeds:
 *
 * - vxlan: one VXLAN device (`skiff.1`, VNI 1, UDP 8472 as flannel's) with
 *   the first address of this node's pod CIDR as a /32; for each peer a
 *   permanent neighbour entry (the peer's `.0` address at its VTEP MAC), a
 *   forwarding entry (that MAC at the peer's public IP) and a route
 *   `PEER_CIDR via PEER.0 dev skiff.1 onlink`: pod packets travel
 *   encapsulated between the nodes' own addresses;
 * - host-gw: a route `PEER_CIDR via PEER_PUBLIC_IP` per peer, for nodes on
 *   one layer-2 network.
 *
 * Either way the whole cluster CIDR gets a blackhole route, so that a pod
 * address that no peer owns is dropped here and never takes the default
 * route (DESIGN decision 5); the peers' /24 routes and the local bridge's
 * are more specific. Only what this overlay added is removed again.
 */
import { must, runOnHost, type Runner } from "./commands.js";

export type NetworkBackend = "vxlan" | "host-gw";

export const VXLAN_DEVICE = "skiff.1";
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** What VXLAN over IPv4 adds to each packet: outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8 (flannel's figure). */
export const VXLAN_OVERHEAD = 50;

/**
 * The MTU of the pod network, as flannel derives it: the MTU of the interface that carries the
 * overlay (the one holding the node's address) less VXLAN's headers for vxlan, that MTU itself for
 * host-gw (pod packets leave unencapsulated). The vxlan device and every pod's veth take it, so that
 * pods never send packets that must fragment across nodes.
 */
export function podMTU(backend: NetworkBackend, linkMTU: number): number {
  return backend === "vxlan" ? linkMTU - VXLAN_OVERHEAD : linkMTU;
}

export interface Peer {
  name: string;
  podCIDR: string;
  publicIP: string;
  /** vxlan only: the peer's VTEP MAC. */
  vtepMAC?: string;
}

export interface OverlayOptions {
  backend: NetworkBackend;
  /** This node's address that the peers reach (the VTEP's local address, the next hop others route to). */
  publicIP: string;
  podCIDR: string;
  clusterCIDR: string;
  /** vxlan: the device's MTU (default podMTU of the publicIP interface's MTU, 1450 when it is not found). */
  mtu?: number;
  run?: Runner;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** The network address of a CIDR (10.244.2.0 of 10.244.2.0/24), a peer's VTEP address in flannel's scheme. */
export function networkAddress(cidr: string): string {
  return cidr.split("/")[0]!;
}

export class Overlay {
  private readonly run: Runner;
  /** What was programmed for each peer, by name, to undo or redo it when the peer changes. */
  private readonly programmed = new Map<string, Peer>();
  private started = false;

  constructor(private readonly options: OverlayOptions) {
    this.run = options.run ?? runOnHost;
  }

  /** Sets up the device (vxlan) and the blackhole route; returns the VTEP MAC for vxlan. */
  start(): { vtepMAC?: string } {
    const { run } = this;
    must(run, "ip", ["route", "replace", "blackhole", this.options.clusterCIDR]);
    this.started = true;
    if (this.options.backend !== "vxlan") return {};
    if (!run("ip", ["link", "show", VXLAN_DEVICE]).ok) {
      must(run, "ip", ["link", "add", VXLAN_DEVICE, "type", "vxlan", "id", String(VXLAN_VNI), "local", this.options.publicIP, "dstport", String(VXLAN_PORT), "nolearning"]);
    }
    const mtu = this.options.mtu ?? podMTU("vxlan", linkOf(this.options.publicIP, run)?.mtu ?? 1500);
    must(run, "ip", ["link", "set", VXLAN_DEVICE, "mtu", String(mtu), "up"]);
    must(run, "ip", ["addr", "replace", `${networkAddress(this.options.podCIDR)}/32`, "dev", VXLAN_DEVICE]);
    const shown = JSON.parse(must(run, "ip", ["-j", "link", "show", VXLAN_DEVICE])) as { address?: string }[];
    const vtepMAC = shown[0]?.address;
    if (!vtepMAC) throw new Error(`${VXLAN_DEVICE} has no MAC address`);
    return { vtepMAC };
  }

  /** Programs every peer given and removes what was programmed for peers no longer given (or changed). */
  sync(peers: Peer[]): void {
    if (!this.started) throw new Error("the overlay is not started");
    const wanted = new Map(peers.filter((p) => this.usable(p)).map((p) => [p.name, p]));
    for (const [name, old] of this.programmed) {
      const now = wanted.get(name);
      if (!now || !samePeer(old, now)) { this.remove(old); this.programmed.delete(name); }
    }
    for (const [name, peer] of wanted) {
      if (this.programmed.has(name)) continue;
      try {
        this.add(peer);
        this.programmed.set(name, peer);
        this.options.log?.("route to a node's pods", { node: name, podCIDR: peer.podCIDR, via: peer.publicIP, backend: this.options.backend });
      } catch (err) {
        // One peer that cannot be programmed must not keep the others unreachable; the next sync tries again.
        this.options.log?.("cannot route to a node's pods", { node: name, err: (err as Error).message });
      }
    }
  }

  /** Removes everything this overlay programmed, the device and the blackhole route. */
  stop(): void {
    for (const peer of this.programmed.values()) this.remove(peer);
    this.programmed.clear();
    if (this.options.backend === "vxlan") this.run("ip", ["link", "del", VXLAN_DEVICE]);
    if (this.started) this.run("ip", ["route", "del", "blackhole", this.options.clusterCIDR]);
    this.started = false;
  }

  private usable(peer: Peer): boolean {
    if (peer.podCIDR === this.options.podCIDR || peer.publicIP === this.options.publicIP) return false;
    return this.options.backend === "host-gw" || Boolean(peer.vtepMAC);
  }

  private add(peer: Peer): void {
    const { run } = this;
    if (this.options.backend === "host-gw") {
      must(run, "ip", ["route", "replace", peer.podCIDR, "via", peer.publicIP]);
      return;
    }
    const vtep = networkAddress(peer.podCIDR);
    must(run, "ip", ["neigh", "replace", vtep, "lladdr", peer.vtepMAC!, "dev", VXLAN_DEVICE, "nud", "permanent"]);
    must(run, "bridge", ["fdb", "replace", peer.vtepMAC!, "dev", VXLAN_DEVICE, "dst", peer.publicIP, "self", "permanent"]);
    must(run, "ip", ["route", "replace", peer.podCIDR, "via", vtep, "dev", VXLAN_DEVICE, "onlink"]);
  }

  private remove(peer: Peer): void {
    const { run } = this;
    run("ip", ["route", "del", peer.podCIDR]);
    if (this.options.backend !== "vxlan" || !peer.vtepMAC) return;
    run("bridge", ["fdb", "del", peer.vtepMAC, "dev", VXLAN_DEVICE, "dst", peer.publicIP, "self"]);
    run("ip", ["neigh", "del", networkAddress(peer.podCIDR), "dev", VXLAN_DEVICE]);
  }
}

function samePeer(a: Peer, b: Peer): boolean {
  return a.podCIDR === b.podCIDR && a.publicIP === b.publicIP && a.vtepMAC === b.vtepMAC;
}

/**
 * `skiff killall`'s part: the VXLAN device (its routes go with it) and every
 * route into the cluster CIDR that was not the kernel's own (host-gw peers,
 * the blackhole), whatever a crashed node left.
 */
export function cleanupOverlay(clusterCIDR: string, run: Runner = runOnHost): void {
  run("ip", ["link", "del", VXLAN_DEVICE]);
  run("ip", ["route", "flush", "root", clusterCIDR, "proto", "boot"]);
}

/** The interface that holds an address of this machine, and its MTU. */
export function linkOf(address: string, run: Runner = runOnHost): { ifname: string; mtu?: number } | undefined {
  const r = run("ip", ["-j", "addr", "show"]);
  if (!r.ok) return undefined;
  const links = JSON.parse(r.out) as { ifname: string; mtu?: number; addr_info?: { local?: string }[] }[];
  const link = links.find((l) => l.addr_info?.some((a) => a.local === address));
  return link && { ifname: link.ifname, mtu: link.mtu };
}

/** The interface that holds an address of this machine, for the host-gw backend's pod traffic. */
export function interfaceOf(address: string, run: Runner = runOnHost): string | undefined {
  return linkOf(address, run)?.ifname;
}
