/**
 * Upstream's MachineInfo setter for resources the kubelet does not measure:
 * whoever advertises an extended resource writes it into the node's
 * status.capacity (a device plugin's registration, or a `PATCH
 * nodes/status`), the kubelet keeps it there and makes it allocatable, and
 * takes an extended resource out of allocatable once it has left capacity.
 * The scheduler counts allocatable only, so without this an advertised
 * resource could never be requested.
 */
import type { NodeStatus } from "kubernetes-types/core/v1.js";
import { parseQuantity } from "../api/quantity.js";

type ResourceList = NonNullable<NodeStatus["capacity"]>;

export interface NodeResources {
  capacity: ResourceList;
  allocatable: ResourceList;
  /** Extended resources the node's allocatable lists that are no longer in capacity (to be removed). */
  removed: string[];
}

/**
 * An extended resource: a domain-prefixed name outside kubernetes.io (upstream's
 * IsExtendedResourceName; "requests."-prefixed quota names are not resources of a node).
 */
export function isExtendedResourceName(name: string): boolean {
  const slash = name.indexOf("/");
  if (slash < 0 || name.startsWith("requests.")) return false;
  const domain = name.slice(0, slash);
  return domain !== "kubernetes.io" && !domain.endsWith(".kubernetes.io");
}

/**
 * The node's capacity and allocatable as the kubelet reports them: its own
 * measurements (measured) over what the node has (current), every other
 * resource of capacity allocatable in full.
 */
export function nodeResources(current: NodeStatus | undefined, measured: { capacity: ResourceList; allocatable: ResourceList }): NodeResources {
  const capacity: ResourceList = { ...(current?.capacity ?? {}), ...measured.capacity };
  const allocatable: ResourceList = {};
  for (const [name, q] of Object.entries(capacity)) allocatable[name] = measured.allocatable[name] ?? q;
  const removed = Object.keys(current?.allocatable ?? {}).filter((name) => !(name in capacity) && isExtendedResourceName(name));
  return { capacity, allocatable, removed };
}

/** Whether two resource lists name the same resources in the same amounts ("1k" is "1000"). */
export function sameResources(a: ResourceList | undefined, b: ResourceList | undefined): boolean {
  const x = Object.entries(a ?? {});
  if (x.length !== Object.keys(b ?? {}).length) return false;
  return x.every(([name, q]) => b?.[name] !== undefined && (b[name] === q || parseQuantity(b[name]) === parseQuantity(q)));
}
