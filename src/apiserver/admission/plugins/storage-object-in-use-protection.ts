/**
 * Upstream's StorageObjectInUseProtection: every new PersistentVolumeClaim
 * gets the kubernetes.io/pvc-protection finalizer and every new
 * PersistentVolume kubernetes.io/pv-protection, so that deleting one that is
 * still in use (a pod mounts the claim, a claim is bound to the volume) only
 * marks it; the pvc-protection and pv-protection controllers remove the
 * finalizer once it is free.
 */
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER } from "../../../api/storage-protection-finalizers.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

const FINALIZERS: Record<string, string> = {
  persistentvolumeclaims: PVC_PROTECTION_FINALIZER,
  persistentvolumes: PV_PROTECTION_FINALIZER,
};

export class StorageObjectInUseProtection implements AdmissionPlugin {
  readonly name = "StorageObjectInUseProtection";

  admit(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource || a.info.group !== "") return;
    const finalizer = FINALIZERS[a.info.resource];
    if (!finalizer) return;
    const metadata = (a.object.metadata ??= {});
    const finalizers: string[] = metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) metadata.finalizers = [...finalizers, finalizer];
  }
}
