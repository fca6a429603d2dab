/** `kubectl get nodes`: readiness, roles from the node-role labels, versions and addresses. */
import type { Node, NodeSystemInfo } from "kubernetes-types/core/v1.js";
import { age, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

function nodeStatus(node: Stored<Node>): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (node.spec?.unschedulable) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function nodeRoles(node: Stored<Node>): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(",") : "<none>";
}

export const nodeTable = tablePrinter<Stored<Node>>(
  [["Status"], ["Roles"], ["Age"], ["Version"], ["Internal-IP", "string", 1], ["External-IP", "string", 1], ["OS-Image", "string", 1], ["Kernel-Version", "string", 1], ["Container-Runtime", "string", 1]],
  (o, now) => {
    const addr = (t: string) => none((o.status?.addresses ?? []).find((a) => a.type === t)?.address);
    const info: Partial<NodeSystemInfo> = o.status?.nodeInfo ?? {};
    return [nodeStatus(o), nodeRoles(o), age(o.metadata.creationTimestamp, now), info.kubeletVersion ?? "", addr("InternalIP"), addr("ExternalIP"), none(info.osImage), none(info.kernelVersion), none(info.containerRuntimeVersion)];
  },
);
