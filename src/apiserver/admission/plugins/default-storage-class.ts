/**
 * Upstream's DefaultStorageClass: a new claim that names no class gets the
 * default StorageClass (the newest, if several are marked default).
 */
import type { PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";

const DEFAULT_ANNOTATIONS = ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"];

export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = "DefaultStorageClass";

  constructor(private readonly options: { storageClasses(): StorageClass[] }) {}

  admit(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource || a.info.group !== "" || a.info.resource !== "persistentvolumeclaims") return;
    const claim = a.object as PersistentVolumeClaim;
    if (claim.spec?.storageClassName !== undefined && claim.spec.storageClassName !== null) return;
    if (claim.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] !== undefined) return;
    const defaults = this.options.storageClasses()
      .filter((c) => DEFAULT_ANNOTATIONS.some((k) => c.metadata?.annotations?.[k] === "true"))
      .sort((x, y) => String(y.metadata?.creationTimestamp).localeCompare(String(x.metadata?.creationTimestamp)) || String(x.metadata?.name).localeCompare(String(y.metadata?.name)));
    if (defaults[0]) (claim.spec ??= {}).storageClassName = defaults[0].metadata!.name;
  }
}
