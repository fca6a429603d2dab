/**
 * The built-in local-path provisioner (as k3s ships one): the default
 * StorageClass `local-path`, a hostPath PersistentVolume in the node's
 * storage directory for every claim of that class; the volume and its data go
 * with the claim (reclaim policy Delete). The class waits for the first
 * consumer (WaitForFirstConsumer): the scheduler picks the pod's node, marks
 * the claim with it, and the volume is made there, tied to that node by its
 * nodeAffinity. Claims of an Immediate class are provisioned at once.
 * Claims without a class get the default one, as upstream's retroactive
 * default StorageClass assignment does.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Resources, type Informer } from "../../client/index.js";
import { WorkQueue } from "../../client/workqueue.js";
import { runQueue, type Controller, type ControllerContext, type Kube } from "../controller.js";
import type { Node, PersistentVolume, PersistentVolumeClaim } from "kubernetes-types/core/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";

export const LOCAL_PATH_CLASS = "local-path";
const PROVISIONER = "skiff.dev/local-path";
const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
const SELECTED_NODE = "volume.kubernetes.io/selected-node";

export class LocalPathProvisioner implements Controller {
  readonly name = "local-path-provisioner";
  private ctx!: ControllerContext;
  private claims!: Informer<Kube<PersistentVolumeClaim>>;
  private volumes!: Informer<Kube<PersistentVolume>>;
  private classes!: Informer<Kube<StorageClass>>;
  private nodes!: Informer<Kube<Node>>;
  /** claims already told they wait for a consumer (one event each) */
  private readonly waiting = new Set<string>();
  private readonly queue = new WorkQueue();

  /** storageDir: where volumes live on the node (DATA_DIR/storage). */
  constructor(private readonly storageDir: string) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.claims = ctx.informers.informer<Kube<PersistentVolumeClaim>>(Resources.persistentvolumeclaims);
    this.volumes = ctx.informers.informer<Kube<PersistentVolume>>(Resources.persistentvolumes);
    this.classes = ctx.informers.informer<Kube<StorageClass>>(Resources.storageclasses);
    this.nodes = ctx.informers.informer<Kube<Node>>(Resources.nodes);
    const enqueue = (o: Kube<PersistentVolumeClaim>) => this.queue.add(`claim/${o.metadata.namespace}/${o.metadata.name}`);
    this.claims.addEventHandler({ add: enqueue, update: (_a, b) => enqueue(b), delete: (o) => this.queue.add(`gone/${o.metadata.uid}`) });
    this.classes.addEventHandler({ add: () => { for (const c of this.claims.list()) enqueue(c); } });
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.ensureClass().catch((err) => this.ctx.log("cannot create the local-path StorageClass", { err: String(err) }));
    // Volumes whose claim went while the controller was away.
    for (const pv of this.volumes.list()) if (pv.spec?.claimRef?.uid) this.queue.add(`gone/${pv.spec.claimRef.uid}`);
    await runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "persistent volume claim");
  }

  private async ensureClass(): Promise<void> {
    if (this.classes.get(LOCAL_PATH_CLASS)) return;
    await this.ctx.client.create(Resources.storageclasses, undefined, {
      apiVersion: "storage.k8s.io/v1", kind: "StorageClass",
      metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
      provisioner: PROVISIONER, reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer",
    } satisfies StorageClass).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
  }

  private defaultClass(): string | undefined {
    return this.classes.list().find((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true")?.metadata.name;
  }

  private async sync(key: string): Promise<void> {
    const [kind, ...rest] = key.split("/");
    if (kind === "gone") return this.reclaim(rest[0]!);
    const claim = this.claims.get(rest.join("/"));
    if (!claim || claim.metadata.deletionTimestamp) return;
    const ns = claim.metadata.namespace!;
    const name = claim.metadata.name!;
    // A stored claim has a spec (validation requires it).
    const spec = claim.spec!;
    if (spec.storageClassName === undefined || spec.storageClassName === null) {
      const def = this.defaultClass();
      if (def) await this.ctx.client.patch(Resources.persistentvolumeclaims, ns, name, { spec: { storageClassName: def } });
      return;
    }
    const cls = this.classes.get(spec.storageClassName);
    if (cls?.provisioner !== PROVISIONER) return;
    const pvName = `pvc-${claim.metadata.uid}`;
    if (claim.status?.phase === "Bound") return;
    const node = claim.metadata.annotations?.[SELECTED_NODE];
    if (cls.volumeBindingMode === "WaitForFirstConsumer" && !node) {
      if (!this.waiting.has(claim.metadata.uid!)) {
        this.waiting.add(claim.metadata.uid!);
        this.ctx.recorder.event({ ...claim, kind: "PersistentVolumeClaim", apiVersion: "v1" }, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
      }
      return;
    }
    this.waiting.delete(claim.metadata.uid!);
    if (!this.volumes.get(pvName)) {
      const hostname = node ? this.nodes.get(node)?.metadata.labels?.["kubernetes.io/hostname"] ?? node : undefined;
      const path = join(this.storageDir, `${pvName}_${ns}_${name}`);
      await this.ctx.client.create(Resources.persistentvolumes, undefined, {
        apiVersion: "v1", kind: "PersistentVolume",
        metadata: { name: pvName, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
        spec: {
          capacity: { storage: spec.resources?.requests?.storage ?? "1Gi" },
          accessModes: spec.accessModes ?? ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
          storageClassName: cls.metadata.name,
          volumeMode: spec.volumeMode ?? "Filesystem",
          hostPath: { path, type: "DirectoryOrCreate" },
          ...(hostname ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [hostname] }] }] } } } : {}),
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: ns, name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
        },
      } satisfies PersistentVolume).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
      this.ctx.recorder.event({ ...claim, kind: "PersistentVolumeClaim", apiVersion: "v1" }, "Normal", "ProvisioningSucceeded", `Successfully provisioned volume ${pvName}`);
    }
    await this.ctx.client.patch(Resources.persistentvolumes, undefined, pvName, { status: { phase: "Bound" } }, "merge", "status");
    if (spec.volumeName !== pvName) {
      await this.ctx.client.patch(Resources.persistentvolumeclaims, ns, name, {
        metadata: { annotations: { "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes", "volume.kubernetes.io/storage-provisioner": PROVISIONER } },
        spec: { volumeName: pvName },
      });
    }
    const pv = this.volumes.get(pvName);
    await this.ctx.client.patch(Resources.persistentvolumeclaims, ns, name, {
      status: { phase: "Bound", accessModes: spec.accessModes ?? ["ReadWriteOnce"], capacity: { storage: pv?.spec?.capacity?.storage ?? spec.resources?.requests?.storage ?? "1Gi" } },
    }, "merge", "status");
  }

  /** A claim is gone: its provisioned volume, and the data, go too (reclaim policy Delete). */
  private async reclaim(uid: string): Promise<void> {
    if (this.claims.list().some((c) => c.metadata.uid === uid)) return;
    const pv = this.volumes.list().find((v) => v.spec?.claimRef?.uid === uid);
    if (!pv || pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) return;
    // Released first, as upstream's volume controller: a Bound volume keeps its pv-protection finalizer.
    if (pv.status?.phase !== "Released") await this.ctx.client.patch(Resources.persistentvolumes, undefined, pv.metadata.name!, { status: { phase: "Released" } }, "merge", "status");
    if (pv.spec?.persistentVolumeReclaimPolicy === "Retain") return;
    const path = pv.spec?.hostPath?.path;
    if (path?.startsWith(this.storageDir + "/")) rmSync(path, { recursive: true, force: true });
    await this.ctx.client.delete(Resources.persistentvolumes, undefined, pv.metadata.name!).catch((err) => { if ((err as { code?: number }).code !== 404) throw err; });
  }
}
