/** StatefulSets: ordered rolling updates by default, claim templates as volumes, a fixed selector, status is the statefulset controller's. */
import type { StatefulSet, StatefulSetSpec } from "kubernetes-types/apps/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { age, containers, images, tablePrinter } from "../../../../api/tables.js";
import { immutableSelector, nonNegative, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { labelSelectorScale } from "../../scale.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

const statefulSetTable = tablePrinter<Stored<StatefulSet>>(
  [["Ready"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1]],
  (o, now) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec)],
);

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
  subresources: { scale: labelSelectorScale },
  printer: statefulSetTable,
  // The claim templates' names are volumes of the pods.
  validate: (o) => [...nonNegative("spec.replicas", o.spec?.replicas), ...validateSelectorAndTemplate(o.spec ?? {}, (o.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name as string))],
  validateUpdate: immutableSelector,
};
