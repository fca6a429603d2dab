/** ReplicaSets: one replica by default, a fixed selector, status is the replicaset controller's. */
import type { ReplicaSet, ReplicaSetSpec } from "kubernetes-types/apps/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { immutableSelector, nonNegative, validateSelectorAndTemplate } from "../../../../api/validation.js";
import { labelSelectorScale } from "../../scale.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import { replicaSetTable } from "./table.js";

export const replicaSetStrategy: Strategy<Stored<ReplicaSet>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as ReplicaSetSpec);
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  subresources: { scale: labelSelectorScale },
  printer: replicaSetTable,
  validate: (o) => [...nonNegative("spec.replicas", o.spec?.replicas), ...validateSelectorAndTemplate(o.spec ?? {})],
  validateUpdate: immutableSelector,
  fieldSelectors: ["status.replicas"],
};
