/**
 * The kubelet: the node's pod lifecycle over a container runtime (cri
 * through Skiff's containerd, process, simulated), its HTTPS API and its pod
 * network setup. The node as a whole (kubelet, proxy, DNS, ingress) is
 * composed in src/agent.
 */
export { Kubelet } from "./kubelet.js";
export type { ContainerRuntime } from "./kuberuntime/runtime.js";
export { ProcessRuntime } from "./runtime/process/process-runtime.js";
export { Containerd, criUnavailableReason } from "./runtime/cri/containerd.js";
export { enableIpForward, ensureBridge, gatewayOf, rememberIpForward, removeBridge, restoreIpForward, writeCniConfig } from "./runtime/cri/cni.js";
export { buildBuiltinImages, importImageDir } from "./images/build.js";
export { KubeletServer, type KubeletServerTls } from "./server/kubelet-server.js";
export { KubeletAuth } from "./server/auth/index.js";
export type { Logger } from "./types.js";
