/** Shapes the kubelet's modules share. */
import type { KubeObject } from "../client/index.js";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- pod specs are free-form JSON here
export type Pod = KubeObject & Json;

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
