/** `kubectl get replicasets` (and replicationcontrollers, which show the same columns). */
import type { ReplicaSet } from "kubernetes-types/apps/v1.js";
import type { ReplicationController } from "kubernetes-types/core/v1.js";
import { age, containers, images, selectorText, tablePrinter } from "../../../../api/tables.js";
import type { Stored } from "../../strategy.js";

/** Desired, current and ready replicas; selector: how the kind's selector prints. */
export function replicasTable<T extends Stored<ReplicaSet> | Stored<ReplicationController>>(selector: (o: T) => string) {
  return tablePrinter<T>(
    [["Desired", "integer"], ["Current", "integer"], ["Ready", "integer"], ["Age"], ["Containers", "string", 1], ["Images", "string", 1], ["Selector", "string", 1]],
    (o, now) => [o.spec?.replicas ?? 0, o.status?.replicas ?? 0, o.status?.readyReplicas ?? 0, age(o.metadata.creationTimestamp, now), containers(o.spec?.template?.spec), images(o.spec?.template?.spec), selector(o)],
  );
}

export const replicaSetTable = replicasTable<Stored<ReplicaSet>>((o) => selectorText(o.spec?.selector));
