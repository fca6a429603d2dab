/** Shapes the kubelet's modules share. */
import type { Pod as ApiPod, PodSpec } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";

/** A Pod as the kubelet gets it from the API server, which always sets (and defaults) its spec. */
export type Pod = Kube<ApiPod> & { spec: PodSpec };

/** The labels and annotations by which the kubelet finds its pods' sandboxes and containers in the runtime (upstream's names). */
export const Labels = {
  podName: "io.kubernetes.pod.name",
  podNamespace: "io.kubernetes.pod.namespace",
  podUid: "io.kubernetes.pod.uid",
  containerName: "io.kubernetes.container.name",
  restartCount: "io.kubernetes.container.restartCount",
  terminationMessagePath: "io.kubernetes.container.terminationMessagePath",
  containerKind: "skiff.dev/container-kind",
} as const;

export const podKey = (pod: Pod) => `${pod.metadata.namespace}/${pod.metadata.name}`;
/** `name_namespace(uid)`, the form upstream's messages name a pod in. */
export const podDesc = (pod: Pod) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

export interface Logger { (msg: string, fields?: Record<string, unknown>): void }
