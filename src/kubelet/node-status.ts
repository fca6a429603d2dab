/** The node object and status a kubelet reports: host capacity, labels, addresses, conditions, versions. */
import { readFileSync, statfsSync } from "node:fs";
import { cpus, freemem, release, totalmem } from "node:os";
import { rfc3339 } from "../api/time.js";
import type { NodeCondition, NodeStatus } from "kubernetes-types/core/v1.js";
import { nodeResources } from "./node-allocatable.js";

/** The capacity or allocatable of a Node: quantities by resource name. */
export type ResourceList = Record<string, string>;

const read = (path: string) => { try { return readFileSync(path, "utf8").trim(); } catch { return ""; } };
export const nodeArch = () => (process.arch === "x64" ? "amd64" : process.arch);

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(read("/etc/os-release"));
  return m?.[1] ?? "Linux";
}

/** Capacity from the host; allocatable keeps upstream's default eviction reserve of 100Mi of memory. */
export function hostResources(dataDir: string, maxPods = 110): { capacity: ResourceList; allocatable: ResourceList } {
  const memKi = Math.floor(totalmem() / 1024);
  let storageKi = 0;
  try {
    const s = statfsSync(dataDir);
    storageKi = Math.floor((s.blocks * s.bsize) / 1024);
  } catch { /* unknown */ }
  const capacity = { cpu: String(cpus().length), memory: `${memKi}Ki`, pods: String(maxPods), "ephemeral-storage": `${storageKi}Ki`, "hugepages-2Mi": "0" };
  const allocatable = { ...capacity, memory: `${Math.max(0, memKi - 100 * 1024)}Ki`, "ephemeral-storage": `${Math.floor(storageKi * 0.9)}Ki` };
  return { capacity, allocatable };
}

export interface NodeStatusInputs {
  nodeName: string;
  nodeIP: string;
  dataDir: string;
  kubeletPort: number;
  runtimeVersion: string;
  kubeletVersion: string;
  ready: { ok: boolean; message: string };
  images: { names: string[]; sizeBytes: number }[];
  /** The node's status as the API server has it: conditions' transition times and others' capacity entries carry over. */
  previous?: NodeStatus;
}

export function nodeLabels(nodeName: string): Record<string, string> {
  return {
    "kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": nodeArch(),
    "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": nodeArch(),
  };
}

/** The status the kubelet merge-patches: a null in allocatable takes a resource out. */
export type NodeStatusPatch = Omit<NodeStatus, "allocatable"> & { allocatable: Record<string, string | null> };

export function nodeStatus(i: NodeStatusInputs): NodeStatusPatch {
  const now = rfc3339();
  const before = new Map<string, NodeCondition>((i.previous?.conditions ?? []).map((c) => [c.type, c]));
  const cond = (type: string, status: boolean, reason: string, message: string): NodeCondition => ({
    type, status: status ? "True" : "False", lastHeartbeatTime: now,
    lastTransitionTime: before.get(type)?.status === (status ? "True" : "False") ? before.get(type)!.lastTransitionTime : now, reason, message,
  });
  const memPressure = freemem() / totalmem() < 0.02;
  let diskPressure = false;
  try { const s = statfsSync(i.dataDir); diskPressure = s.bavail / s.blocks < 0.1; } catch { /* unknown */ }
  const measured = hostResources(i.dataDir);
  const { allocatable, removed } = nodeResources(i.previous, measured);
  return {
    // The status is merge-patched: capacity names only what the kubelet measures, so that an entry
    // another writer removes meanwhile is not written back; a resource leaves allocatable by a null.
    capacity: measured.capacity, allocatable: { ...allocatable, ...Object.fromEntries(removed.map((name) => [name, null])) },
    conditions: [
      cond("MemoryPressure", memPressure, memPressure ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory", memPressure ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available"),
      cond("DiskPressure", diskPressure, diskPressure ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure", diskPressure ? "kubelet has disk pressure" : "kubelet has no disk pressure"),
      cond("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      cond("Ready", i.ready.ok, i.ready.ok ? "KubeletReady" : "KubeletNotReady", i.ready.message),
    ],
    addresses: [{ type: "InternalIP", address: i.nodeIP }, { type: "Hostname", address: i.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: i.kubeletPort } },
    nodeInfo: {
      machineID: read("/etc/machine-id"), systemUUID: read("/sys/class/dmi/id/product_uuid") || read("/etc/machine-id"), bootID: read("/proc/sys/kernel/random/boot_id"),
      kernelVersion: release(), osImage: osImage(), containerRuntimeVersion: i.runtimeVersion, kubeletVersion: i.kubeletVersion, kubeProxyVersion: "",
      operatingSystem: "linux", architecture: nodeArch(),
    },
    images: i.images.slice(0, 50),
  };
}
