/** StatefulSets: ordered rolling updates by default, claim templates as volumes, a fixed selector, status is the statefulset controller's. */
import type { StatefulSet, StatefulSetSpec } from "kubernetes-types/apps/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { immutableSelector, nonNegative, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const statefulSetStrategy: Strategy<Stored<StatefulSet>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as StatefulSetSpec);
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= "OrderedReady";
    const update = (spec.updateStrategy ??= {});
    update.type ??= "RollingUpdate";
    if (update.type === "RollingUpdate") {
      update.rollingUpdate ??= {};
      update.rollingUpdate.partition ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
    retention.whenDeleted ??= "Retain";
    retention.whenScaled ??= "Retain";
    for (const t of spec.volumeClaimTemplates ?? []) {
      t.spec ??= {};
      t.spec.volumeMode ??= "Filesystem";
    }
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  // The claim templates' names are volumes of the pods.
  validate: (o) => [...nonNegative("spec.replicas", o.spec?.replicas), ...validateSelectorAndTemplate(o.spec ?? {}, (o.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name as string))],
  validateUpdate: immutableSelector,
};
