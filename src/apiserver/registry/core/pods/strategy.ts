/**
 * Pods: defaults, status and QoS class set by the server, a spec that
 * updates may barely change, graceful deletion through the kubelet, and the
 * binding, eviction, log and streaming subresources.
 */
import type { Container, Pod, PodSpec } from "kubernetes-types/core/v1.js";
import { defaultPodSpec } from "../../../../api/defaults.js";
import { rfc3339 } from "../../../../api/time.js";
import type { Stored, Strategy } from "../../strategy.js";
import { bindingSubresource } from "./binding.js";
import { evictionSubresource } from "./eviction.js";
import { logSubresource, streamingSubresource } from "./streaming.js";
import { podTable } from "./table.js";
import { validatePod, validatePodUpdate } from "./validation.js";

/** Upstream's GetPodQOS over requests and limits of cpu and memory. */
function qosClass(spec: PodSpec): string {
  const cs: Container[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let anySet = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ["cpu", "memory"]) {
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

export const podStrategy: Strategy<Stored<Pod>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as PodSpec);
    defaultPodSpec(spec);
    // The service account's name, until the ServiceAccount admission plugin defaults it.
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || "default";
    spec.serviceAccount = spec.serviceAccountName;
  },
  prepareForCreate(o) {
    o.status = { phase: "Pending", qosClass: qosClass(o.spec ?? ({} as PodSpec)) };
  },
  printer: podTable,
  validate: validatePod,
  validateUpdate: validatePodUpdate,
  fieldSelectors: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"],
  // A pod bound to a node stays, marked, until its kubelet has stopped it and deletes it with grace period 0.
  beginGracefulDelete(o, finalizers, gracePeriodSeconds) {
    if (!o.spec?.nodeName || ["Succeeded", "Failed"].includes(o.status?.phase ?? "")) return undefined;
    const grace = gracePeriodSeconds ?? o.spec.terminationGracePeriodSeconds ?? 30;
    if (grace <= 0 && !finalizers.length) return undefined;
    const m = o.metadata;
    const g = Math.max(0, grace);
    if (!m.deletionTimestamp || g < (m.deletionGracePeriodSeconds ?? Infinity)) {
      m.deletionTimestamp = rfc3339(Date.now() + g * 1000);
      m.deletionGracePeriodSeconds = g;
    }
    if (finalizers.length) m.finalizers = finalizers;
    return true;
  },
  readyToDelete: (o) => !o.spec?.nodeName || o.metadata.deletionGracePeriodSeconds === 0,
  subresourceUpdates: {
    // pods/status keeps the owner references, as upstream: old kubelets corrupted them, which broke garbage collection.
    status: { merge: (current, input) => ({ ...current, metadata: { ...(input.metadata ?? current.metadata), ownerReferences: current.metadata.ownerReferences }, status: input.status }) },
    // pods/binding: the server's own write of spec.nodeName and the PodScheduled condition, which the rule that a pod's spec is immutable does not cover.
    binding: { merge: (_current, input) => input, validateUpdate: () => [] },
  },
  subresources: {
    binding: bindingSubresource,
    eviction: evictionSubresource,
    log: logSubresource,
    exec: streamingSubresource,
    attach: streamingSubresource,
    portforward: streamingSubresource,
  },
};
