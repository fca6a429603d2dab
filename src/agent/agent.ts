/**
 * The node agent that `skiff server` and `skiff agent` run: picks the
 * runtime the machine supports, starts Skiff's containerd and the pod network
 * for the cri runtime, imports the built-in images, and runs the kubelet and
 * its HTTPS server, the cluster DNS and the Service proxy.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { Resources, type Client } from "../client/index.js";
import {
  Containerd, KubeletAuth, KubeletServer, Kubelet, ProcessRuntime, buildBuiltinImages, criUnavailableReason, ensureBridge, gatewayOf,
  enableIpForward, importImageDir, rememberIpForward, writeCniConfig, type ContainerRuntime, type KubeletServerTls, type Logger,
} from "../kubelet/index.js";
import { ClusterDns, CLUSTER_DNS_ADDRESS_ANNOTATION, CLUSTER_DNS_IP, CLUSTER_DNS_PORT } from "../dns/index.js";
import { IptablesProxier, NftablesProxier, TABLE, UserspaceProxier, iptablesAvailable, loopbackAlias, nftAvailable } from "../proxy/index.js";
import { IngressController } from "../ingress/index.js";
import { NodeNetwork, VXLAN_DEVICE, interfaceOf, linkOf, podMTU, type NetworkBackend } from "../network/index.js";
import type { Registry } from "../metrics/index.js";

export type RuntimeChoice = "auto" | "cri" | "process" | "none";

export interface AgentOptions {
  dataDir: string;
  runtime: RuntimeChoice;
  nodeName?: string;
  kubeletPort: number;
  bridge: string;
  tls: KubeletServerTls;
  kubeletVersion: string;
  /** The kernel proxier (default auto: nftables, else iptables). */
  proxyMode?: ProxyModeChoice;
  /**
   * Called with the node's address on the pod network (the bridge's gateway)
   * once the bridge is up and before any pod runs, so that the API server can
   * serve there and name it as the `kubernetes` Service's endpoint.
   */
  onNodeAddress?: (address: string) => Promise<void>;
  /**
   * The pod network between nodes (--network-backend): vxlan or host-gw over this node's address
   * (--node-ip), or none (another CNI's job, or a node alone). Without a node address, none.
   */
  networkBackend?: NetworkBackend | "none";
  /** The address of this node that other nodes reach (--node-ip). */
  nodeIP?: string;
  /** The built-in ingress controller's ports (0 picks free ones); absent, no ingress controller. */
  ingress?: { httpPort: number; httpsPort: number };
  log: Logger;
}

export interface RunningAgent {
  kubelet: Kubelet;
  runtime: string;
  /**
   * The node's metric registries: the kubelet's, the Service proxy's (kubeproxy_*) and the cluster
   * DNS's (coredns_*). The kubelet's /metrics serves them all; `skiff server`'s API server too.
   */
  metrics(): Registry[];
  stop(): Promise<void>;
}

/** Which runtime runs here and why, in words for the user. */
export function chooseRuntime(choice: RuntimeChoice): { runtime: "cri" | "process" | "none"; reason: string } {
  if (choice === "none") return { runtime: "none", reason: "--runtime none: no kubelet on this node" };
  if (choice === "process") return { runtime: "process", reason: "--runtime process: containers run as host processes (no images or isolation; volumes as links under SKIFF_CONTAINER_ROOT)" };
  const why = criUnavailableReason();
  if (!why) return { runtime: "cri", reason: "containerd, runc and the CNI plugins are installed and Skiff runs as root" };
  if (choice === "cri") throw new Error(`--runtime cri is not possible here: ${why}`);
  return { runtime: "process", reason: `the cri runtime is not possible here (${why}); containers run as host processes (no images or isolation; volumes as links under SKIFF_CONTAINER_ROOT)` };
}

/**
 * The process runtime's node: the node address is loopback, where the
 * kubelet's API listens too. Services are relayed in user space on loopback
 * aliases of their ClusterIPs, which the pods' Service variables name; there
 * is no cluster DNS (pods use the host's resolver).
 */
async function startProcessAgent(clients: AgentClients, options: AgentOptions, signal: AbortSignal): Promise<RunningAgent> {
  if (options.networkBackend && options.networkBackend !== "none") options.log("--network-backend is for the cri runtime: process-runtime pods share this machine's loopback and reach no other node's pods");
  const runtime = new ProcessRuntime("127.0.0.1", join(options.dataDir, "agent", "process"));
  const nodeName = (options.nodeName ?? hostname()).toLowerCase();
  const kubelet = new Kubelet(clients.kubelet, {
    nodeName, rootDir: join(options.dataDir, "agent", "kubelet"), runtime, nodeIP: "127.0.0.1", kubeletPort: options.kubeletPort,
    kubeletVersion: options.kubeletVersion, log: options.log, serviceAddress: loopbackAlias,
  });
  const proxier = new UserspaceProxier(clients.proxy, { nodeName, nodeIPs: ["127.0.0.1"], log: options.log });
  const metrics = () => [kubelet.metrics.registry, proxier.metrics.registry];
  const server = new KubeletServer(kubelet, options.tls, new KubeletAuth({ client: clients.kubelet, nodeName, log: options.log }), () => [proxier.metrics.registry]);
  kubelet.options.kubeletPort = await server.start(options.kubeletPort, "127.0.0.1");
  await kubelet.start(signal);
  await proxier.start(signal);
  options.log("service proxy relaying in user space on loopback aliases of the ClusterIPs (10.96.x.y at 127.96.x.y); no cluster DNS with the process runtime");
  await startIngress(clients.ingress, "127.0.0.1", options, signal);
  return {
    kubelet, runtime: runtime.name, metrics,
    async stop() {
      await server.stop();
      await runtime.stopAll();
    },
  };
}

/** The ingress controller listens on the node address and on loopback, for a user on this machine. */
async function startIngress(client: Client | undefined, nodeIP: string, options: AgentOptions, signal: AbortSignal): Promise<void> {
  if (!options.ingress || !client) return;
  const ingress = new IngressController(client, {
    listenAddresses: [...new Set([nodeIP, "127.0.0.1"])], statusAddresses: [nodeIP],
    httpPort: options.ingress.httpPort, httpsPort: options.ingress.httpsPort, log: options.log,
  });
  await ingress.start(signal).catch((err) => options.log("ingress controller failed to start", { err: String((err as Error).message ?? err) }));
}

export type ProxyModeChoice = "auto" | "nftables" | "iptables";

/** --network-backend, checked. */
export function networkBackendFlag(value: string): NetworkBackend | "none" {
  if (value === "vxlan" || value === "host-gw" || value === "none") return value;
  throw new Error(`--network-backend must be vxlan, host-gw or none, not ${JSON.stringify(value)}`);
}

/** nftables where nft is installed, iptables where only iptables is, as kube-proxy prefers them here. */
export function proxyMode(choice: ProxyModeChoice): { mode?: "nftables" | "iptables"; reason: string } {
  const nft = nftAvailable();
  const ipt = iptablesAvailable();
  if (choice === "nftables") return nft ? { mode: "nftables", reason: `--proxy-mode nftables (table ip ${TABLE})` } : { reason: "--proxy-mode nftables but nft is not installed (Debian package nftables)" };
  if (choice === "iptables") return ipt ? { mode: "iptables", reason: "--proxy-mode iptables (SKIFF-* chains)" } : { reason: "--proxy-mode iptables but iptables-restore is not installed (Debian package iptables)" };
  if (nft) return { mode: "nftables", reason: `nft is installed (table ip ${TABLE})` };
  if (ipt) return { mode: "iptables", reason: "nft is not installed, iptables is (SKIFF-* chains)" };
  return { reason: "neither nft nor iptables-restore is installed (Debian packages nftables or iptables)" };
}

/**
 * Cluster DNS on the node address behind the kube-dns Service, and the
 * Service rules in the kernel. The node announces its DNS server on its own
 * Node (as the kubelet); the server, which alone keeps the kube-dns Service,
 * makes it the Service's endpoint for this node's pods.
 */
async function startNodeNetworking(clients: AgentClients, kubelet: Kubelet, options: AgentOptions, podInterfaces: string[], signal: AbortSignal,
  serving: NodeNetworking): Promise<void> {
  const dns = new ClusterDns(clients.dns, { log: options.log });
  serving.dns = dns;
  await dns.start(signal);
  const port = await dns.listen(kubelet.nodeIP, CLUSTER_DNS_PORT);
  await clients.kubelet.patch(Resources.nodes, undefined, kubelet.nodeName, { metadata: { annotations: { [CLUSTER_DNS_ADDRESS_ANNOTATION]: kubelet.nodeIP } } });
  options.log("cluster DNS serving", { address: `${kubelet.nodeIP}:${port}`, service: `${CLUSTER_DNS_IP}:53` });
  const mode = proxyMode(options.proxyMode ?? "auto");
  if (!mode.mode) {
    options.log(`no Service rules: ${mode.reason}; ClusterIPs do not answer`);
    return;
  }
  // NodePorts answer on every address of the node, the one other machines reach it at (--node-ip) included, as upstream's.
  const nodeIPs = [...new Set([kubelet.nodeIP, ...(options.nodeIP ? [options.nodeIP] : [])])];
  const proxierOptions = { nodeName: kubelet.nodeName, nodeIPs, bridge: options.bridge, podInterfaces, log: options.log };
  const proxier = mode.mode === "nftables" ? new NftablesProxier(clients.proxy, proxierOptions) : new IptablesProxier(clients.proxy, proxierOptions);
  serving.proxier = proxier;
  await proxier.start(signal);
  options.log("service proxy programming the kernel", { mode: mode.mode, reason: mode.reason });
}

/** The node's DNS server and proxier, each set once made (their metrics are served from then on, even should starting fail). */
interface NodeNetworking { dns?: ClusterDns; proxier?: NftablesProxier | IptablesProxier }

/** The pods' MTU when a pod network between nodes carries them: from the MTU of the --node-ip interface. */
function podNetworkMTU(options: AgentOptions): number | undefined {
  const backend = options.networkBackend ?? "vxlan";
  if (backend === "none" || !options.nodeIP) return undefined;
  const mtu = linkOf(options.nodeIP)?.mtu;
  return mtu ? podMTU(backend, mtu) : undefined;
}

/**
 * The overlay to the other nodes' pods, once this node has its pod CIDR; the
 * interfaces its pod traffic leaves by, for the proxy's guard. A failure is
 * reported: this node's own pods still run and reach each other.
 */
async function startPodNetworkBetweenNodes(client: Client, nodeName: string, podCIDR: string | undefined, options: AgentOptions, signal: AbortSignal): Promise<{ network?: NodeNetwork; podInterfaces: string[] }> {
  const backend = options.networkBackend ?? "vxlan";
  if (backend === "none") return { podInterfaces: [] };
  if (!options.nodeIP) {
    options.log("no pod network between nodes: give --node-ip (this node's address that the others reach) for it", { backend });
    return { podInterfaces: [] };
  }
  if (!podCIDR) return { podInterfaces: [] };
  const podInterfaces = backend === "vxlan" ? [VXLAN_DEVICE] : [interfaceOf(options.nodeIP)].filter((i): i is string => Boolean(i));
  if (backend === "host-gw" && !podInterfaces.length) {
    options.log("no pod network between nodes: no interface of this machine has the --node-ip address", { nodeIP: options.nodeIP });
    return { podInterfaces: [] };
  }
  const network = new NodeNetwork(client, { nodeName, backend, publicIP: options.nodeIP, podCIDR, mtu: podNetworkMTU(options), log: options.log });
  try {
    await network.start(signal);
    return { network, podInterfaces };
  } catch (err) {
    network.stop();
    options.log("the pod network between nodes failed to start", { backend, err: String((err as Error).message ?? err) });
    return { podInterfaces: [] };
  }
}

/**
 * The identities a node's components act under, each with its least
 * privilege: the kubelet as system:node:<name> (the Node authorizer and
 * NodeRestriction), the Service proxy as system:kube-proxy
 * (system:node-proxier), the cluster DNS as system:coredns (CoreDNS's
 * read-only role). A joined node gets the last two through CSRs of its own
 * (componentCertificate in bootstrap.ts). The ingress controller runs only
 * on the server's node, as the server's system:skiff-controller; without
 * that client there is none. ServiceLB and the kube-dns Service are the
 * server's, not a node's (src/proxy/service-lb.ts, src/dns/kube-dns-service.ts).
 */
export interface AgentClients { kubelet: Client; proxy: Client; dns: Client; ingress?: Client }

export async function startAgent(clients: AgentClients, options: AgentOptions, signal: AbortSignal): Promise<RunningAgent | undefined> {
  const choice = chooseRuntime(options.runtime);
  options.log("runtime chosen", { runtime: choice.runtime, reason: choice.reason });
  if (choice.runtime === "none") return undefined;
  if (choice.runtime === "process") return startProcessAgent(clients, options, signal);
  const agentDir = join(options.dataDir, "agent");
  const containerd = new Containerd(options.dataDir, options.log);
  const imagesDir = join(agentDir, "images");
  buildBuiltinImages(imagesDir);
  const cri = await containerd.start();
  const imported = await importImageDir(containerd.paths.socket, imagesDir);
  options.log("images imported", { files: imported });
  const version = await cri.version();
  cri.name = `${version.runtimeName}://${version.runtimeVersion}`;
  const runtime: ContainerRuntime = cri;
  const nodeName = (options.nodeName ?? hostname()).toLowerCase();
  let nodePodCIDR: string | undefined;
  const kubelet = new Kubelet(clients.kubelet, {
    nodeName, rootDir: join(agentDir, "kubelet"), runtime, kubeletPort: options.kubeletPort, kubeletVersion: options.kubeletVersion, log: options.log,
    onPodCIDR: async (podCIDR) => {
      nodePodCIDR = podCIDR;
      const net = { bridge: options.bridge, podCIDR, gateway: gatewayOf(podCIDR), mtu: podNetworkMTU(options) };
      rememberIpForward(join(agentDir, "ip_forward.orig"));
      enableIpForward();
      ensureBridge(net);
      writeCniConfig(containerd.paths.cniConfDir, join(agentDir, "cni", "ipam"), net);
      // Pods without the API server still run: a failure here is reported, not fatal.
      await options.onNodeAddress?.(net.gateway).catch((err) => options.log("the API server cannot be reached from pods", { address: net.gateway, err: String((err as Error).message ?? err) }));
      // The kubelet's API listens on the node address only, never on the machine's other interfaces.
      kubelet.options.kubeletPort = await server.start(options.kubeletPort, net.gateway);
      options.log("pod network ready", { bridge: net.bridge, podCIDR, nodeIP: net.gateway, kubeletPort: kubelet.options.kubeletPort });
      return net.gateway;
    },
  });
  const network: NodeNetworking = {};
  const networkMetrics = () => [network.proxier?.metrics.registry, network.dns?.metrics.registry].filter((r): r is Registry => Boolean(r));
  const server = new KubeletServer(kubelet, options.tls, new KubeletAuth({ client: clients.kubelet, nodeName, log: options.log }), networkMetrics);
  await kubelet.start(signal);
  const between = await startPodNetworkBetweenNodes(clients.kubelet, nodeName, nodePodCIDR, options, signal);
  // Pods run without Services rather than not at all: a networking failure is reported, not fatal.
  await startNodeNetworking(clients, kubelet, options, between.podInterfaces, signal, network).catch((err) => {
    options.log("cluster DNS and Service proxy failed to start", { err: String((err as Error).message ?? err) });
  });
  await startIngress(clients.ingress, kubelet.nodeIP, options, signal);
  return {
    kubelet,
    runtime: runtime.name,
    metrics: () => [kubelet.metrics.registry, ...networkMetrics()],
    async stop() {
      await network.dns?.stop();
      // The overlay's routes stay, as the containers do: pods keep reaching other nodes while the node
      // restarts (which programs them again); `skiff killall` removes them.
      await server.stop();
      cri.close();
      // containerd stops; the shims and so the containers live on, for the next start to adopt.
      await containerd.stop();
    },
  };
}
