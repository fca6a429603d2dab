/**
 * A pod's total requests or limits, as upstream's resource.PodRequests and
 * PodLimits reckon them (LimitRanger's copy of that sum): the containers
 * added up; each init container counts with the sidecars (restartPolicy
 * Always) started before it; sidecars also run beside the containers; the
 * pod needs the larger of the two.
 */
import type { Container, Pod } from "kubernetes-types/core/v1.js";
import { ExactQuantity } from "./exact-quantity.js";

export type ResourceList = Map<string, ExactQuantity>;

function add(into: ResourceList, from: ResourceList): void {
  for (const [name, q] of from) into.set(name, into.get(name)?.add(q) ?? q);
}

function maxInto(into: ResourceList, from: ResourceList): void {
  for (const [name, q] of from) {
    const cur = into.get(name);
    if (!cur || q.cmp(cur) > 0) into.set(name, q);
  }
}

function listOf(c: Container, which: "requests" | "limits"): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, text] of Object.entries(c.resources?.[which] ?? {})) {
    const q = ExactQuantity.parse(text);
    if (q) out.set(name, q);
  }
  return out;
}

export function podResources(pod: Pod, which: "requests" | "limits"): ResourceList {
  const total: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) add(total, listOf(c, which));
  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const own = listOf(c, which);
    let during: ResourceList;
    if (c.restartPolicy === "Always") {
      add(total, own);
      add(sidecars, own);
      during = new Map(sidecars);
    } else {
      during = new Map(own);
      add(during, sidecars);
    }
    maxInto(initPeak, during);
  }
  maxInto(total, initPeak);
  return total;
}
