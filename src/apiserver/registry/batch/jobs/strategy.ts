/** Jobs: a generated selector (unless spec.manualSelector), status is the job controller's. */
import { randomUUID } from "node:crypto";
import type { Job, JobSpec } from "kubernetes-types/batch/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const jobStrategy: Strategy<Stored<Job>> = {
  prepareForCreate(o) {
    clearStatus(o);
    const spec = o.spec ?? ({} as JobSpec);
    if (!spec.manualSelector) {
      // Upstream's generateSelector: the pods carry the Job's uid, and the selector asks for it.
      const uid: string = o.metadata.uid ?? randomUUID();
      const name = o.metadata.name ?? "";
      const labels = { "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name };
      spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      spec.template ??= {} as PodTemplateSpec;
      spec.template.metadata ??= {};
      spec.template.metadata.labels = { ...labels, ...(spec.template.metadata.labels ?? {}) };
    }
  },
  fieldSelectors: ["status.successful"],
};
