/**
 * The garbage collector over every kind the server serves (found through
 * discovery, again every 30 s so custom resources join): a dependent whose
 * owners are all gone is deleted (background propagation); an owner marked
 * with the foregroundDeletion finalizer waits until its dependents are gone;
 * the orphan finalizer releases dependents and then the owner. An owner
 * missing from the caches is looked up on the server before its dependents
 * are deleted, as upstream's attemptToDelete does.
 */
import type { KubeObject, ResourceRef, Informer } from "../../client/index.js";
import { Resources, WorkQueue, discoverResources } from "../../client/index.js";
import { type Controller, type ControllerContext, keyOf, runQueue, sleep } from "../controller.js";
import type { ObjectMeta, OwnerReference } from "kubernetes-types/meta/v1.js";

/** An object of any kind, by its metadata: all the collector reads of it. */
type Owned = KubeObject & { metadata: ObjectMeta };

/** Kinds watched from the start (the workload chain); discovery adds the rest. */
const WORKLOAD_KINDS: Record<string, ResourceRef> = {
  Deployment: Resources.deployments,
  ReplicaSet: Resources.replicasets,
  StatefulSet: Resources.statefulsets,
  DaemonSet: Resources.daemonsets,
  Job: Resources.jobs,
  CronJob: Resources.cronjobs,
  ReplicationController: Resources.replicationcontrollers,
  Pod: Resources.pods,
  ControllerRevision: Resources.controllerrevisions,
  Service: Resources.services,
  EndpointSlice: Resources.endpointslices,
};

/** Never collected nor watched for owners, as upstream ignores them: events. */
const IGNORED = new Set(["events", "events.events.k8s.io"]);
const REDISCOVERY_MS = 30_000;

export class GarbageCollector implements Controller {
  readonly name = "garbagecollector";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private readonly informers = new Map<string, Informer<Owned>>();
  /** kind -> where its objects live */
  private readonly kinds = new Map<string, ResourceRef>();
  /** uid -> kind/namespace/name of every object seen, to answer "does this owner exist?". */
  private readonly byUid = new Map<string, { kind: string; key: string }>();
  /** owner uid -> dependents' queue keys. */
  private readonly dependents = new Map<string, Set<string>>();

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    for (const [kind, ref] of Object.entries(WORKLOAD_KINDS)) this.watch(kind, ref);
  }

  private watch(kind: string, ref: ResourceRef): void {
    if (this.kinds.has(kind)) return;
    this.kinds.set(kind, ref);
    const inf = this.ctx.informers.informer<Owned>(ref);
    this.informers.set(kind, inf);
    const item = (o: KubeObject) => `${kind}|${keyOf(o)}`;
    const track = (o: Owned) => {
      this.byUid.set(String(o.metadata.uid), { kind, key: keyOf(o) });
      for (const r of ownerReferences(o)) {
        if (!this.dependents.has(r.uid)) this.dependents.set(r.uid, new Set());
        this.dependents.get(r.uid)!.add(item(o));
      }
    };
    inf.addEventHandler({
      add: (o) => { track(o); this.queue.add(item(o)); },
      update: (_old, o) => {
        track(o);
        this.queue.add(item(o));
        // An owner that starts foreground deletion: each dependent decides now whether it goes too.
        if (o.metadata.deletionTimestamp && hasFinalizer(o, "foregroundDeletion")) for (const dep of this.dependents.get(String(o.metadata.uid)) ?? []) this.queue.add(dep);
      },
      delete: (o) => {
        this.byUid.delete(String(o.metadata.uid));
        for (const dep of this.dependents.get(String(o.metadata.uid)) ?? []) this.queue.add(dep);
        this.dependents.delete(String(o.metadata.uid));
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const discovery = this.discover(signal);
    await runQueue(this.queue, signal, 4, (key) => this.sync(key), this.ctx, "garbage collection");
    await discovery;
  }

  /** Watches every kind that can be listed, watched and deleted; again every 30 s for new custom resources. */
  private async discover(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        for (const r of await discoverResources(this.ctx.client)) {
          const name = r.group ? `${r.resource}.${r.group}` : r.resource;
          if (IGNORED.has(name) || !["list", "watch", "delete"].every((v) => r.verbs.includes(v))) continue;
          // Core kinds first: a kind served by several groups is watched once.
          this.watch(r.kind, { group: r.group, version: r.version, resource: r.resource, namespaced: r.namespaced });
        }
      } catch (err) {
        this.ctx.log("garbage collector discovery failed", { err: String(err) });
      }
      await sleep(REDISCOVERY_MS, signal);
    }
  }

  /** An owner absent from the caches: gone for sure only if the server says so (or holds another object by that name). */
  private async ownerGone(r: OwnerReference, namespace: string | undefined): Promise<boolean> {
    const ref = this.kinds.get(r.kind);
    if (!ref) return false;
    try {
      const owner = await this.ctx.client.get(ref, ref.namespaced ? namespace : undefined, r.name);
      return owner.metadata.uid !== r.uid;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return true;
      throw err;
    }
  }

  private lookup(item: string): { kind: string; obj: Owned | undefined } {
    const [kind, key] = item.split("|") as [string, string];
    return { kind, obj: this.informers.get(kind)?.get(key) };
  }

  private liveDependents(owner: Owned): Owned[] {
    return [...(this.dependents.get(String(owner.metadata.uid)) ?? [])].map((d) => this.lookup(d).obj).filter((o): o is Owned => o !== undefined)
      .filter((o) => ownerReferences(o).some((r) => r.uid === owner.metadata.uid));
  }

  private async sync(item: string): Promise<number | void> {
    const { kind, obj } = this.lookup(item);
    if (!obj) return;
    if (obj.metadata.deletionTimestamp && hasFinalizer(obj, "foregroundDeletion")) return this.processDeletingDependents(obj);
    if (obj.metadata.deletionTimestamp && hasFinalizer(obj, "orphan")) return this.orphan(kind, obj);
    const refs = ownerReferences(obj);
    if (!refs.length) return;
    // Upstream's classifyReferences: owners gone (or known by another uid), owners waiting for their
    // dependents to go (foreground deletion), and solid ones.
    const solid: OwnerReference[] = [];
    const released: OwnerReference[] = [];
    let waiting = false;
    for (const r of refs) {
      const owner = this.cached(r.uid);
      if (!owner && await this.ownerGone(r, obj.metadata.namespace)) released.push(r);
      else if (owner?.metadata.deletionTimestamp && hasFinalizer(owner, "foregroundDeletion")) { released.push(r); waiting = true; }
      else solid.push(r);
    }
    if (solid.length) {
      // Still owned: only the references that hold others up (or point nowhere) go.
      if (!released.length) return;
      await this.ctx.client.patch(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name!, { metadata: { ownerReferences: solid, resourceVersion: obj.metadata.resourceVersion } }).catch(ignoreGone);
      return;
    }
    if (waiting && this.liveDependents(obj).length) {
      // An owner waits for this object, which has dependents of its own: it goes in the foreground too. If one of
      // those dependents is itself waiting (an ownership cycle), this object stops blocking its owners first, as
      // upstream does, or the cycle would wait forever.
      if (this.liveDependents(obj).some((d) => d.metadata.deletionTimestamp && hasFinalizer(d, "foregroundDeletion"))) {
        const unblocked = refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r));
        await this.ctx.client.patch(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name!, { metadata: { ownerReferences: unblocked, resourceVersion: obj.metadata.resourceVersion } }).catch(ignoreGone);
      }
      await this.remove(kind, obj, "Foreground");
      return;
    }
    await this.remove(kind, obj, hasFinalizer(obj, "orphan") ? "Orphan" : hasFinalizer(obj, "foregroundDeletion") ? "Foreground" : "Background");
  }

  /** The object with this uid, as the caches hold it. */
  private cached(uid: string): Owned | undefined {
    const at = this.byUid.get(uid);
    return at ? this.informers.get(at.kind)?.get(at.key) : undefined;
  }

  private async remove(kind: string, obj: Owned, policy: string): Promise<void> {
    if (obj.metadata.deletionTimestamp) return;
    await this.ctx.client.request("DELETE", this.ctx.client.path(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name), {
      propagationPolicy: policy, preconditions: { uid: obj.metadata.uid },
    }).catch(ignoreGone);
  }

  /**
   * An owner in foreground deletion (upstream's processDeletingDependentsItem):
   * it waits for the dependents whose reference to it blocks its deletion, and
   * loses its finalizer once none is left.
   */
  private async processDeletingDependents(owner: Owned): Promise<number | void> {
    const uid = owner.metadata.uid;
    const blocking = this.liveDependents(owner).filter((d) => ownerReferences(d).some((r) => r.uid === uid && r.blockOwnerDeletion === true));
    if (!blocking.length) {
      const at = this.byUid.get(String(uid));
      if (at) await this.dropFinalizer(at.kind, owner, "foregroundDeletion");
      return;
    }
    for (const d of blocking) {
      const at = this.byUid.get(String(d.metadata.uid));
      if (at && !(d.metadata.deletionTimestamp && hasFinalizer(d, "foregroundDeletion"))) this.queue.add(`${at.kind}|${at.key}`);
    }
    return 1000;
  }

  private async orphan(kind: string, owner: Owned): Promise<void> {
    for (const d of this.liveDependents(owner)) {
      const dk = this.byUid.get(String(d.metadata.uid))?.kind;
      if (!dk) continue;
      const refs = ownerReferences(d).filter((r) => r.uid !== owner.metadata.uid);
      await this.ctx.client.patch(this.kinds.get(dk)!, d.metadata.namespace, d.metadata.name!, { metadata: { ownerReferences: refs.length ? refs : null } }).catch(ignoreGone);
    }
    await this.dropFinalizer(kind, owner, "orphan");
  }

  private async dropFinalizer(kind: string, obj: Owned, finalizer: string): Promise<void> {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    await this.ctx.client.patch(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name!, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: obj.metadata.resourceVersion } }).catch(ignoreGone);
  }
}

function hasFinalizer(obj: Owned, finalizer: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(finalizer);
}

const ownerReferences = (obj: Owned): OwnerReference[] => obj.metadata.ownerReferences ?? [];

function ignoreGone(err: unknown): void {
  const code = (err as { code?: number }).code;
  if (code !== 404 && code !== 409) throw err;
}
