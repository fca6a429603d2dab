/**
 * The node agent a `skiff server` (or later `skiff agent`) runs: picks the
 * runtime the machine supports, starts Skiff's containerd and the pod network
 * for the cri runtime, imports the built-in images, and runs the kubelet and
 * its HTTPS server.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Client } from "../client/index.js";
import { buildBuiltinImages, importImageDir } from "./images/build.js";
import { Kubelet } from "./kubelet.js";
import type { ContainerRuntime } from "./kuberuntime/runtime.js";
import { Containerd, criUnavailableReason } from "./runtime/cri/containerd.js";
import { ensureBridge, gatewayOf, rememberIpForward, writeCniConfig } from "./runtime/cri/cni.js";
import { KubeletServer, type KubeletServerTls } from "./server/kubelet-server.js";
import type { Logger } from "./types.js";

export type RuntimeChoice = "auto" | "cri" | "none";

export interface AgentOptions {
  dataDir: string;
  runtime: RuntimeChoice;
  nodeName?: string;
  kubeletPort: number;
  bridge: string;
  tls: KubeletServerTls;
  kubeletVersion: string;
  log: Logger;
}

export interface RunningAgent {
  kubelet: Kubelet;
  runtime: string;
  stop(): Promise<void>;
}

/** Which runtime runs here and why, in words for the user. */
export function chooseRuntime(choice: RuntimeChoice): { runtime: "cri" | "none"; reason: string } {
  if (choice === "none") return { runtime: "none", reason: "--runtime none: no kubelet on this node" };
  const why = criUnavailableReason();
  if (!why) return { runtime: "cri", reason: "containerd, runc and the CNI plugins are installed and Skiff runs as root" };
  if (choice === "cri") throw new Error(`--runtime cri is not possible here: ${why}`);
  return { runtime: "none", reason: `the cri runtime is not possible here (${why}); pods bound to this node stay Pending` };
}

export async function startAgent(client: Client, options: AgentOptions, signal: AbortSignal): Promise<RunningAgent | undefined> {
  const choice = chooseRuntime(options.runtime);
  options.log("runtime chosen", { runtime: choice.runtime, reason: choice.reason });
  if (choice.runtime === "none") return undefined;
  const agentDir = join(options.dataDir, "agent");
  const containerd = new Containerd(options.dataDir, options.log);
  const imagesDir = join(agentDir, "images");
  buildBuiltinImages(imagesDir);
  const cri = await containerd.start();
  const imported = importImageDir(containerd.paths.socket, imagesDir);
  options.log("images imported", { files: imported });
  const version = await cri.version();
  const runtime: ContainerRuntime = Object.assign(Object.create(cri) as ContainerRuntime, { name: `${version.runtimeName}://${version.runtimeVersion}` });
  const nodeName = (options.nodeName ?? hostname()).toLowerCase();
  const kubelet = new Kubelet(client, {
    nodeName, rootDir: join(agentDir, "kubelet"), runtime, kubeletPort: options.kubeletPort, kubeletVersion: options.kubeletVersion, log: options.log,
    onPodCIDR: async (podCIDR) => {
      const net = { bridge: options.bridge, podCIDR, gateway: gatewayOf(podCIDR) };
      rememberIpForward(join(agentDir, "ip_forward.orig"));
      ensureBridge(net);
      writeCniConfig(containerd.paths.cniConfDir, join(agentDir, "cni", "ipam"), net);
      // The kubelet's API listens on the node address only, never on the machine's other interfaces.
      kubelet.options.kubeletPort = await server.start(options.kubeletPort, net.gateway);
      options.log("pod network ready", { bridge: net.bridge, podCIDR, nodeIP: net.gateway, kubeletPort: kubelet.options.kubeletPort });
      return net.gateway;
    },
  });
  const server = new KubeletServer(kubelet, options.tls);
  await kubelet.start(signal);
  return {
    kubelet,
    runtime: runtime.name,
    async stop() {
      await server.stop();
      cri.close();
      // containerd stops; the shims and so the containers live on, for the next start to adopt.
      await containerd.stop();
    },
  };
}
