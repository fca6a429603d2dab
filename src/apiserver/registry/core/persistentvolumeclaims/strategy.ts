/** PersistentVolumeClaims: Filesystem by default, Pending until the volume controller binds them, access modes fixed once bound. */
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec } from "kubernetes-types/core/v1.js";
import { jsonEqual } from "../../../../api/json-equal.js";
import { immutable } from "../../../../api/validation.js";
import { accessModes, age, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const persistentVolumeClaimTable = tablePrinter<Stored<PersistentVolumeClaim>>(
  [["Status"], ["Volume"], ["Capacity"], ["Access Modes"], ["StorageClass"], ["VolumeAttributesClass"], ["Age"], ["VolumeMode", "string", 1]],
  (o, now) => [o.metadata.deletionTimestamp ? "Terminating" : o.status?.phase ?? "Pending", o.spec?.volumeName ?? "", o.status?.capacity?.storage ?? "", accessModes(o.status?.accessModes), o.spec?.storageClassName ?? "", none(o.spec?.volumeAttributesClassName), age(o.metadata.creationTimestamp, now), o.spec?.volumeMode ?? "Filesystem"],
);

export const persistentVolumeClaimStrategy: Strategy<Stored<PersistentVolumeClaim>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as PersistentVolumeClaimSpec);
    spec.volumeMode ??= "Filesystem";
  },
  prepareForCreate(o) { o.status = { phase: "Pending" }; },
  printer: persistentVolumeClaimTable,
  validateUpdate: (o, old) => (old.spec?.volumeName && !jsonEqual(o.spec?.accessModes, old.spec?.accessModes) ? [immutable("spec.accessModes", o.spec?.accessModes)] : []),
};
