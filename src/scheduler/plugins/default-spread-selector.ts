/**
 * The selector that PodTopologySpread's system-default constraints count a
 * pod's siblings by (upstream's helper.DefaultSelector): the selectors of the
 * Services that select the pod, and of the ReplicationController, ReplicaSet
 * or StatefulSet that controls it. A pod that belongs to none has no default
 * constraints.
 */
import type { ReplicaSet, StatefulSet } from "kubernetes-types/apps/v1.js";
import type { Pod, ReplicationController, Service } from "kubernetes-types/core/v1.js";
import { type Requirement, labelSelectorRequirements, matchesLabels } from "../../api/selectors.js";
import { Resources, type InformerFactory, type Kube } from "../../client/index.js";

/** What the default selector reads of the cluster (the scheduler's informers). */
export interface WorkloadListers {
  services(namespace: string): Kube<Service>[];
  replicationController(namespace: string, name: string): Kube<ReplicationController> | undefined;
  replicaSet(namespace: string, name: string): Kube<ReplicaSet> | undefined;
  statefulSet(namespace: string, name: string): Kube<StatefulSet> | undefined;
}

/** Listers over a factory's informers, which are asked for now so that they start and sync with the others. */
export function workloadListers(informers: InformerFactory): WorkloadListers {
  const services = informers.informer<Kube<Service>>(Resources.services);
  const rcs = informers.informer<Kube<ReplicationController>>(Resources.replicationcontrollers);
  const rss = informers.informer<Kube<ReplicaSet>>(Resources.replicasets);
  const sts = informers.informer<Kube<StatefulSet>>(Resources.statefulsets);
  return {
    services: (ns) => services.list(ns),
    replicationController: (ns, name) => rcs.get(`${ns}/${name}`),
    replicaSet: (ns, name) => rss.get(`${ns}/${name}`),
    statefulSet: (ns, name) => sts.get(`${ns}/${name}`),
  };
}

const labelSetRequirements = (set: Record<string, string>): Requirement[] => Object.entries(set).map(([key, v]) => ({ key, op: "=", values: [v] }));

/** The requirements the pod's siblings match; empty when the pod belongs to no Service or workload. */
export function defaultSelector(pod: Kube<Pod>, listers: WorkloadListers): Requirement[] {
  const ns = pod.metadata.namespace!;
  const labels: Record<string, string> = {};
  for (const svc of listers.services(ns)) {
    const sel = svc.spec?.selector;
    // A Service without a selector selects nothing, not everything.
    if (sel && matchesLabels(labelSetRequirements(sel), pod.metadata.labels)) Object.assign(labels, sel);
  }
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller);
  if (owner?.apiVersion === "v1" && owner.kind === "ReplicationController") {
    const rc = listers.replicationController(ns, owner.name);
    if (rc) Object.assign(labels, rc.spec?.selector ?? {});
    return labelSetRequirements(labels);
  }
  const reqs = labelSetRequirements(labels);
  if (owner?.apiVersion === "apps/v1" && (owner.kind === "ReplicaSet" || owner.kind === "StatefulSet")) {
    const workload = owner.kind === "ReplicaSet" ? listers.replicaSet(ns, owner.name) : listers.statefulSet(ns, owner.name);
    if (workload?.spec?.selector) reqs.push(...labelSelectorRequirements(workload.spec.selector));
  }
  return reqs;
}
