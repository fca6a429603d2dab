/**
 * The pod network between nodes (flannel's role in k3s): the vxlan and
 * host-gw backends (overlay.ts) and the node's part in them (node-network.ts).
 */
export { NodeNetwork, peerOf, BACKEND_ANNOTATION, PUBLIC_IP_ANNOTATION, VTEP_MAC_ANNOTATION, DEFAULT_CLUSTER_CIDR, type NodeNetworkOptions } from "./node-network.js";
export { Overlay, VXLAN_DEVICE, VXLAN_PORT, VXLAN_VNI, cleanupOverlay, interfaceOf, linkOf, networkAddress, podMTU, VXLAN_OVERHEAD, type NetworkBackend, type Peer, type OverlayOptions } from "./overlay.js";
export { runInNamespace, runOnHost, type Runner, type CommandResult } from "./commands.js";
export { chooseNodeIP, detectNodeIP, type NodeIPInputs } from "./node-ip.js";
