/** DaemonSets: rolling updates one node at a time by default, a fixed selector, status is the daemonset controller's. */
import type { DaemonSet, DaemonSetSpec } from "kubernetes-types/apps/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { immutableSelector, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const daemonSetStrategy: Strategy<Stored<DaemonSet>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as DaemonSetSpec);
    const update = (spec.updateStrategy ??= {});
    update.type ??= "RollingUpdate";
    if (update.type === "RollingUpdate") {
      update.rollingUpdate ??= {};
      update.rollingUpdate.maxUnavailable ??= 1;
      update.rollingUpdate.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  validate: (o) => validateSelectorAndTemplate(o.spec ?? {}),
  validateUpdate: immutableSelector,
};
