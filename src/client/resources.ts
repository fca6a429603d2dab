/** Where the resources the components use live, for the client's generic verbs. */
import type { ResourceRef } from "./client.js";

const core = (resource: string, namespaced = true): ResourceRef => ({ group: "", version: "v1", resource, namespaced });
const of = (group: string, version: string, resource: string, namespaced = true): ResourceRef => ({ group, version, resource, namespaced });

export const Resources = {
  pods: core("pods"),
  nodes: core("nodes", false),
  namespaces: core("namespaces", false),
  events: core("events"),
  services: core("services"),
  endpoints: core("endpoints"),
  serviceaccounts: core("serviceaccounts"),
  configmaps: core("configmaps"),
  secrets: core("secrets"),
  persistentvolumes: core("persistentvolumes", false),
  storageclasses: of("storage.k8s.io", "v1", "storageclasses", false),
  persistentvolumeclaims: core("persistentvolumeclaims"),
  replicationcontrollers: core("replicationcontrollers"),
  deployments: of("apps", "v1", "deployments"),
  replicasets: of("apps", "v1", "replicasets"),
  statefulsets: of("apps", "v1", "statefulsets"),
  daemonsets: of("apps", "v1", "daemonsets"),
  controllerrevisions: of("apps", "v1", "controllerrevisions"),
  jobs: of("batch", "v1", "jobs"),
  cronjobs: of("batch", "v1", "cronjobs"),
  leases: of("coordination.k8s.io", "v1", "leases"),
  endpointslices: of("discovery.k8s.io", "v1", "endpointslices"),
  ingresses: of("networking.k8s.io", "v1", "ingresses"),
  ingressclasses: of("networking.k8s.io", "v1", "ingressclasses", false),
  priorityclasses: of("scheduling.k8s.io", "v1", "priorityclasses", false),
  poddisruptionbudgets: of("policy", "v1", "poddisruptionbudgets"),
} as const;
