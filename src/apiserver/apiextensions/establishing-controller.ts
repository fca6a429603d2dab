/**
 * Upstream's CRD establishing controller, which runs inside the API server:
 * a CustomResourceDefinition whose names are accepted is marked
 * NamesAccepted and Established in its status, and its storedVersions
 * recorded, once the server serves it (the catalog follows the same watch).
 */
import { rfc3339 } from "../../api/time.js";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1.js";
import type { Kube } from "../../api/kube-object.js";
import type { ResourceInfo } from "../../api/resources.js";
import type { Obj, ObjectStore } from "../registry/object-store.js";
import type { WatchCache } from "../registry/watch-cache.js";

export class EstablishingController {
  private readonly pending = new Set<string>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly info: ResourceInfo,
    private readonly crds: WatchCache,
    private readonly log?: (msg: string, fields?: Record<string, unknown>) => void,
  ) {}

  start(): void {
    this.crds.onChange((type, crd) => { if (type !== "DELETED") this.enqueue(crd); });
    for (const crd of this.crds.list()) this.enqueue(crd);
  }

  private enqueue(crd: Obj): void {
    const name = crd.metadata.name ?? "";
    if (crd.metadata.deletionTimestamp || established(crd) || this.pending.has(name)) return;
    this.pending.add(name);
    void this.establish(name)
      .catch((err) => this.log?.("failed to mark CRD established", { crd: crd.metadata.name, err: String(err) }))
      .finally(() => this.pending.delete(name));
  }

  /** Idempotent: another server may have written the same conditions first. */
  private async establish(name: string): Promise<void> {
    const now = rfc3339();
    await this.objects.guaranteedUpdate(this.info, undefined, name, (stored) => {
      if (!stored || established(stored)) return stored!;
      const cur = stored as Kube<CustomResourceDefinition>;
      const spec = cur.spec;
      return {
        ...cur,
        status: {
          ...(cur.status ?? {}),
          conditions: [
            { type: "NamesAccepted", status: "True", lastTransitionTime: now, reason: "NoConflicts", message: "no conflicts found" },
            { type: "Established", status: "True", lastTransitionTime: now, reason: "InitialNamesAccepted", message: "the initial names have been accepted" },
          ],
          acceptedNames: spec.names,
          storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
        },
      };
    }, { subresource: "status", fieldManager: "kube-apiserver" });
  }
}

function established(obj: Obj): boolean {
  const crd = obj as Kube<CustomResourceDefinition>;
  return (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
}
