/** PersistentVolumes: a phase from the start (Pending unless the creator gave one). */
import type { PersistentVolume } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const persistentVolumeStrategy: Strategy<Stored<PersistentVolume>> = {
  prepareForCreate(o) { o.status = { phase: o.status?.phase ?? "Pending" }; },
};
