/**
 * Where a local cluster's nodes live: one network namespace per node
 * (standing for a machine), each linked by a veth to a bridge made for the
 * cluster, addressed from a /24 of 172.30.0.0/16 that nothing else on the
 * machine uses. The names are derived from the cluster's name; interface
 * names stay within Linux's 15 characters through a short hash.
 */
import { createHash } from "node:crypto";

export type NodeRole = "server" | "agent";

/** A process the cluster started: its pid, and the directory its command line names (how it is told from a reused pid). */
export interface ClusterProcess {
  dataDir: string;
  log: string;
  pid?: number;
}

/** One member of the cluster's etcd, in its server's namespace at the server's address. */
export interface EtcdMember extends ClusterProcess {
  name: string;
  clientURL: string;
  peerURL: string;
}

export interface ClusterNode extends ClusterProcess {
  name: string;
  role: NodeRole;
  /** The node's network namespace, /run/netns/<netns>. */
  netns: string;
  /** The host's end of the node's veth, on the cluster bridge. */
  hostLink: string;
  ip: string;
  /** With several servers: the etcd member beside this server. */
  etcd?: EtcdMember;
}

export interface ClusterState {
  name: string;
  bridge: string;
  /** The bridge's address: the host's on the cluster network. */
  gateway: string;
  subnet: string;
  dataDir: string;
  kubeconfig: string;
  nodes: ClusterNode[];
  /** With several servers: the TCP load balancer on loopback over their API ports, that the kubeconfig names. */
  loadBalancer?: ClusterProcess & { port: number };
  createdAt: string;
}

export const API_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

const NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

export function validateClusterName(name: string): string | undefined {
  return NAME.test(name) ? undefined : `invalid cluster name ${JSON.stringify(name)}: at most 32 lower-case letters, digits and '-', starting and ending with a letter or digit`;
}

/**
 * The cluster's nodes and links, for the /24 172.30.<octet>.0: the servers from .2 (one is NAME-server, several
 * NAME-server-1…, each with an etcd member), the agents from .10.
 */
export function topology(name: string, octet: number, agents: number, dataDir: string, servers = 1): Omit<ClusterState, "kubeconfig" | "createdAt"> {
  const id = createHash("sha256").update(name).digest("hex").slice(0, 6);
  const net = `172.30.${octet}`;
  const node = (role: NodeRole, index: number, nodeName: string, ip: string): ClusterNode => ({
    name: nodeName, role, netns: `skiff-${name}-${nodeName.slice(name.length + 1)}`, hostLink: `skc${id}v${index}`, ip,
    dataDir: `${dataDir}/${nodeName}`, log: `${dataDir}/${nodeName}.log`,
  });
  return {
    name, bridge: `skc${id}`, gateway: `${net}.1`, subnet: `${net}.0/24`, dataDir,
    nodes: [
      ...(servers === 1 ? [node("server", 0, `${name}-server`, `${net}.2`)] : Array.from({ length: servers }, (_, i) => {
        const n = node("server", i, `${name}-server-${i + 1}`, `${net}.${2 + i}`);
        n.etcd = {
          name: n.name, dataDir: `${dataDir}/${n.name}-etcd`, log: `${dataDir}/${n.name}-etcd.log`,
          clientURL: `http://${n.ip}:${ETCD_CLIENT_PORT}`, peerURL: `http://${n.ip}:${ETCD_PEER_PORT}`,
        };
        return n;
      })),
      ...Array.from({ length: agents }, (_, i) => node("agent", servers + i, `${name}-agent-${i + 1}`, `${net}.${10 + i}`)),
    ],
  };
}

/** The first 172.30.N.0/24 that no address on the machine and no other cluster is in. */
export function freeOctet(addressesInUse: string[], taken: Set<number>): number | undefined {
  const used = new Set(taken);
  for (const a of addressesInUse) {
    const m = /^172\.30\.(\d+)\./.exec(a);
    if (m) used.add(Number(m[1]));
  }
  for (let n = 0; n < 256; n++) if (!used.has(n)) return n;
  return undefined;
}
