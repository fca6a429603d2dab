/** PersistentVolumes: Retain and Filesystem by default, a phase from the start (Pending unless the creator gave one). */
import type { PersistentVolume, PersistentVolumeSpec } from "kubernetes-types/core/v1.js";
import { accessModes, age, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const persistentVolumeTable = tablePrinter<Stored<PersistentVolume>>(
  [["Capacity"], ["Access Modes"], ["Reclaim Policy"], ["Status"], ["Claim"], ["StorageClass"], ["VolumeAttributesClass"], ["Reason"], ["Age"], ["VolumeMode", "string", 1]],
  (o, now) => {
    const claim = o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : "";
    return [o.spec?.capacity?.storage ?? "", accessModes(o.spec?.accessModes), o.spec?.persistentVolumeReclaimPolicy ?? "", o.metadata.deletionTimestamp ? "Terminating" : o.status?.phase ?? "Pending", claim, o.spec?.storageClassName ?? "", none(o.spec?.volumeAttributesClassName), o.status?.reason ?? "", age(o.metadata.creationTimestamp, now), o.spec?.volumeMode ?? "Filesystem"];
  },
);

export const persistentVolumeStrategy: Strategy<Stored<PersistentVolume>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as PersistentVolumeSpec);
    spec.persistentVolumeReclaimPolicy ??= "Retain";
    spec.volumeMode ??= "Filesystem";
  },
  prepareForCreate(o) { o.status = { phase: o.status?.phase ?? "Pending" }; },
  printer: persistentVolumeTable,
};
