/** StorageClasses: Delete and Immediate by default, a fixed provisioner. */
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import { immutable } from "../../../../api/validation.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

/** The default class shows "(default)" after its name. */
const storageClassTable = tablePrinter<Stored<StorageClass>>(
  [["Provisioner"], ["ReclaimPolicy"], ["VolumeBindingMode"], ["AllowVolumeExpansion", "string"], ["Age"]],
  (o, now) => [o.provisioner ?? "", o.reclaimPolicy ?? "Delete", o.volumeBindingMode ?? "Immediate", String(Boolean(o.allowVolumeExpansion)), age(o.metadata.creationTimestamp, now)],
  (o) => (o.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true" ? `${o.metadata.name} (default)` : o.metadata.name as string),
);

export const storageClassStrategy: Strategy<Stored<StorageClass>> = {
  defaults(o) {
    o.reclaimPolicy ??= "Delete";
    o.volumeBindingMode ??= "Immediate";
  },
  printer: storageClassTable,
  validateUpdate: (o, old) => (o.provisioner !== old.provisioner ? [immutable("provisioner", o.provisioner)] : []),
};
