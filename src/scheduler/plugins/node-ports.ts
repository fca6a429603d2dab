import type { Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../client/index.js";
import { type FilterPlugin, type NodeInfo, success, unschedulable } from "../framework.js";

export const NodePortsReason = "node(s) didn't have free ports for the requested pod ports";

const cache = new WeakMap<object, string[]>();

/** The host ports a pod asks for, as protocol/address/port, computed once per pod object. */
function hostPorts(pod: Kube<Pod>): string[] {
  let ports = cache.get(pod);
  if (!ports) {
    ports = (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => `${p.protocol ?? "TCP"}/${p.hostIP || "0.0.0.0"}/${p.hostPort}`));
    cache.set(pod, ports);
  }
  return ports;
}

/** NodePorts: a hostPort can be taken once per node (per protocol and address). */
export class NodePorts implements FilterPlugin {
  readonly name = "NodePorts";
  filter(pod: Kube<Pod>, node: NodeInfo) {
    const wanted = hostPorts(pod);
    if (!wanted.length) return success;
    const used = new Set([...node.pods.values()].flatMap(hostPorts));
    const clash = wanted.some((w) => {
      const [proto, ip, port] = w.split("/");
      return used.has(w) || (ip === "0.0.0.0" ? [...used].some((u) => u.startsWith(`${proto}/`) && u.endsWith(`/${port}`)) : used.has(`${proto}/0.0.0.0/${port}`));
    });
    return clash ? unschedulable(NodePortsReason) : success;
  }
}
