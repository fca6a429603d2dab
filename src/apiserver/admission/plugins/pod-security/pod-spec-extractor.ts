/**
 * Where a pod spec lives in each kind that embeds one (upstream's
 * DefaultPodSpecExtractor). Pod-template kinds are checked for warn and audit
 * only: the pods their controllers create are what enforce refuses.
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "kubernetes-types/apps/v1.js";
import type { CronJob, Job } from "kubernetes-types/batch/v1.js";
import type { Pod, PodSpec, PodTemplate, PodTemplateSpec, ReplicationController } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import type { AdmissionObject } from "../../admission.js";

export interface ExtractedPodSpec {
  meta: ObjectMeta;
  spec: PodSpec;
}

type Extract = (obj: AdmissionObject) => ExtractedPodSpec | undefined;

function fromTemplate(t: PodTemplateSpec | undefined): ExtractedPodSpec | undefined {
  return t ? { meta: t.metadata ?? {}, spec: t.spec ?? { containers: [] } } : undefined;
}

/** "<group>/<resource>" → how to find the pod spec in it. */
const EXTRACTORS = new Map<string, Extract>([
  ["/pods", (o) => ({ meta: (o as Pod).metadata ?? {}, spec: (o as Pod).spec ?? { containers: [] } })],
  ["/replicationcontrollers", (o) => fromTemplate((o as ReplicationController).spec?.template)],
  ["/podtemplates", (o) => fromTemplate((o as PodTemplate).template)],
  ["apps/replicasets", (o) => fromTemplate((o as ReplicaSet).spec?.template)],
  ["apps/deployments", (o) => fromTemplate((o as Deployment).spec?.template)],
  ["apps/statefulsets", (o) => fromTemplate((o as StatefulSet).spec?.template)],
  ["apps/daemonsets", (o) => fromTemplate((o as DaemonSet).spec?.template)],
  ["batch/jobs", (o) => fromTemplate((o as Job).spec?.template)],
  ["batch/cronjobs", (o) => fromTemplate((o as CronJob).spec?.jobTemplate?.spec?.template)],
]);

export function hasPodSpec(group: string, resource: string): boolean {
  return EXTRACTORS.has(`${group}/${resource}`);
}

/** The pod metadata and spec to evaluate; undefined when the kind has none or its optional template is unset. */
export function extractPodSpec(group: string, resource: string, obj: AdmissionObject): ExtractedPodSpec | undefined {
  return EXTRACTORS.get(`${group}/${resource}`)?.(obj);
}
