/** PersistentVolumeClaims: Pending until the volume controller binds them. */
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const persistentVolumeClaimStrategy: Strategy<Stored<PersistentVolumeClaim>> = {
  prepareForCreate(o) { o.status = { phase: "Pending" }; },
};
