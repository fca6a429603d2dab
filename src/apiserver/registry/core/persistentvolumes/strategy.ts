/** PersistentVolumes: Retain and Filesystem by default, a phase from the start (Pending unless the creator gave one). */
import type { PersistentVolume, PersistentVolumeSpec } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const persistentVolumeStrategy: Strategy<Stored<PersistentVolume>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as PersistentVolumeSpec);
    spec.persistentVolumeReclaimPolicy ??= "Retain";
    spec.volumeMode ??= "Filesystem";
  },
  prepareForCreate(o) { o.status = { phase: o.status?.phase ?? "Pending" }; },
};
