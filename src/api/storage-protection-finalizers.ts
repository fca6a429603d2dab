/**
 * The finalizers of storage object in-use protection: set on every claim and
 * volume by the StorageObjectInUseProtection admission plugin, removed by
 * the pvc-protection and pv-protection controllers once nothing uses them.
 */
export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";
