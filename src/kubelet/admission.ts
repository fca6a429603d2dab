/**
 * The kubelet's own admission of a pod bound to its node (upstream's
 * predicate admit handler): a pod whose host ports are already taken by a
 * pod running here is rejected rather than started, since it could not bind
 * them. A pod given spec.nodeName directly never met the scheduler, so this
 * is the only check it gets. The node's other pods were admitted first.
 */
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";
import { NodeInfo, NodePorts, NodePortsReason } from "../scheduler/index.js";

export interface Rejection { reason: string; message: string }

const nodePorts = new NodePorts();

/** Why the kubelet refuses `pod` beside `admitted`, in upstream's words, or undefined to run it. */
export function admitPod(pod: Kube<Pod>, admitted: Kube<Pod>[], node: Kube<Node>): Rejection | undefined {
  const info = new NodeInfo(node);
  for (const p of admitted) info.addPod(String(p.metadata.uid), p);
  if (nodePorts.filter(pod, info).code !== "Success") {
    return { reason: nodePorts.name, message: `Pod was rejected: Predicate ${nodePorts.name} failed: ${NodePortsReason}` };
  }
  return undefined;
}
