/**
 * Upstream's CRD finalizer controller (apiextensions-apiserver's
 * CRDFinalizer), run inside the API server: a CustomResourceDefinition being
 * deleted with the customresourcecleanup finalizer has every one of its
 * objects deleted (in every namespace), its Terminating condition saying
 * how far that is, and once none is left, the finalizer removed, so the CRD
 * goes and a CRD made again later finds none of the old objects.
 */
import type { CustomResourceDefinition, CustomResourceDefinitionCondition } from "kubernetes-types/apiextensions/v1.js";
import { ApiError } from "../../api/errors.js";
import type { ResourceInfo } from "../../api/resources.js";
import { rfc3339 } from "../../api/time.js";
import type { ResourceCatalog } from "../catalog.js";
import type { Kube } from "../../api/kube-object.js";
import type { ObjectStore } from "../registry/object-store.js";
import { CUSTOM_RESOURCE_CLEANUP_FINALIZER } from "../registry/apiextensions/customresourcedefinitions/strategy.js";
import type { WatchCache } from "../registry/watch-cache.js";

type Crd = Kube<CustomResourceDefinition> & { metadata: { name: string } };

/** How long to wait before looking again at objects that are still there (their own finalizers). */
const RECHECK_MS = 2000;

export class CrdFinalizerController {
  private readonly pending = new Set<string>();
  private stopped = false;

  constructor(
    private readonly objects: ObjectStore,
    private readonly info: ResourceInfo,
    private readonly crds: WatchCache,
    private readonly catalog: ResourceCatalog,
    private readonly log?: (msg: string, fields?: Record<string, unknown>) => void,
  ) {}

  start(): void {
    this.crds.onChange((type, crd) => { if (type !== "DELETED") this.enqueue(crd as Crd); });
    for (const crd of this.crds.list()) this.enqueue(crd as Crd);
  }

  stop(): void {
    this.stopped = true;
  }

  private enqueue(crd: Crd): void {
    const name = crd.metadata.name;
    if (!crd.metadata.deletionTimestamp || !(crd.metadata.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER) || this.pending.has(name)) return;
    this.pending.add(name);
    void this.finalize(crd)
      .catch((err) => this.log?.("failed to delete a CRD's objects", { crd: name, err: String((err as Error).message ?? err) }))
      .finally(() => this.pending.delete(name));
  }

  private async finalize(crd: Crd): Promise<void> {
    const name = crd.metadata.name;
    for (;;) {
      if (this.stopped) return;
      const info = this.served(crd);
      if (info) {
        await this.condition(name, "InstanceDeletionInProgress", "CustomResource deletion is in progress");
        const items = (await this.objects.list(info, undefined)).items;
        for (const o of items) {
          if (o.metadata.deletionTimestamp) continue;
          await this.objects.delete(info, o.metadata.namespace, o.metadata.name ?? "").catch((err: unknown) => {
            if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
          });
        }
        const left = (await this.objects.list(info, undefined)).items.length;
        if (left > 0) {
          await this.condition(name, "InstanceDeletionCheck", `could not confirm zero CustomResources remaining: ${left} remaining`);
          await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
          continue;
        }
      }
      await this.condition(name, "InstanceDeletionCompleted", `removed all instances`);
      await this.objects.guaranteedUpdate(this.info, undefined, name, (cur) => ({
        ...cur!, metadata: { ...cur!.metadata, finalizers: (cur!.metadata.finalizers ?? []).filter((f: string) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER) },
      }), { fieldManager: "kube-apiserver" }).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
      });
      return;
    }
  }

  /** The CRD's resource as served (in any version: they share one storage), if it is. */
  private served(crd: Crd): ResourceInfo | undefined {
    const spec = crd.spec;
    for (const v of spec?.versions ?? []) {
      const info = this.catalog.lookup(spec!.group, v.name, spec!.names.plural);
      if (info?.crd) return info;
    }
    return undefined;
  }

  private async condition(name: string, reason: string, message: string): Promise<void> {
    await this.objects.guaranteedUpdate(this.info, undefined, name, (stored) => {
      const cur = stored as Kube<CustomResourceDefinition> | undefined;
      const conditions: CustomResourceDefinitionCondition[] = cur!.status?.conditions ?? [];
      const old = conditions.find((c) => c.type === "Terminating");
      if (old?.reason === reason && old.message === message) return cur!;
      const terminating: CustomResourceDefinitionCondition = { type: "Terminating", status: "True", lastTransitionTime: old?.lastTransitionTime ?? rfc3339(), reason, message };
      return { ...cur!, status: { ...cur!.status, conditions: [...conditions.filter((c) => c.type !== "Terminating"), terminating] } };
    }, { subresource: "status", fieldManager: "kube-apiserver" }).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.reason === "NotFound")) throw err;
    });
  }
}
