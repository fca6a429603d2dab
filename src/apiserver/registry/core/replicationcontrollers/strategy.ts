/** ReplicationControllers: a selector and labels from the template when unset, status is the replication manager's. */
import type { ReplicationController, ReplicationControllerSpec } from "kubernetes-types/core/v1.js";
import { defaultPodTemplate } from "../../../../api/defaults.js";
import { mapSelector } from "../../../../api/tables.js";
import { replicasTable } from "../../apps/replicasets/table.js";
import { mapSelectorScale } from "../../scale.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";

export const replicationControllerStrategy: Strategy<Stored<ReplicationController>> = {
  defaultGarbageCollectionPolicy: (version) => (version === "v1" ? "Orphan" : "Background"),
  defaults(o) {
    const spec = (o.spec ??= {} as ReplicationControllerSpec);
    spec.replicas ??= 1;
    const labels = spec.template?.metadata?.labels;
    if (labels && !spec.selector) spec.selector = { ...labels };
    if (labels && !o.metadata.labels) o.metadata.labels = { ...labels };
    defaultPodTemplate(spec.template);
  },
  prepareForCreate: clearStatus,
  subresources: { scale: mapSelectorScale },
  // A ReplicaSet's columns, with the map selector of the older API.
  printer: replicasTable<Stored<ReplicationController>>((o) => mapSelector(o.spec?.selector)),
  fieldSelectors: ["status.replicas"],
};
