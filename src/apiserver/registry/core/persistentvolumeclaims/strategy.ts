/** PersistentVolumeClaims: Filesystem by default, Pending until the volume controller binds them, access modes fixed once bound. */
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec } from "kubernetes-types/core/v1.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { immutable } from "../../../../api/validation.js";
import type { Stored, Strategy } from "../../strategy.js";

export const persistentVolumeClaimStrategy: Strategy<Stored<PersistentVolumeClaim>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as PersistentVolumeClaimSpec);
    spec.volumeMode ??= "Filesystem";
  },
  prepareForCreate(o) { o.status = { phase: "Pending" }; },
  validateUpdate: (o, old) => (old.spec?.volumeName && !jsonEqual(o.spec?.accessModes, old.spec?.accessModes) ? [immutable("spec.accessModes", o.spec?.accessModes)] : []),
};
