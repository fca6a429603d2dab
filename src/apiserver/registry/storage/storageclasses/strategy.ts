/** StorageClasses: Delete and Immediate by default, a fixed provisioner. */
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import { immutable } from "../../../../api/validation.js";
import type { Stored, Strategy } from "../../strategy.js";

export const storageClassStrategy: Strategy<Stored<StorageClass>> = {
  defaults(o) {
    o.reclaimPolicy ??= "Delete";
    o.volumeBindingMode ??= "Immediate";
  },
  validateUpdate: (o, old) => (o.provisioner !== old.provisioner ? [immutable("provisioner", o.provisioner)] : []),
};
