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
import { type Controller, type ControllerContext, type Obj, keyOf, runQueue } from "../controller.js";

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

interface OwnerRef { apiVersion?: string; kind: string; name: string; uid: string; blockOwnerDeletion?: boolean }

/** Never collected nor watched for owners, as upstream ignores them: events. */
const IGNORED = new Set(["events", "events.events.k8s.io"]);
const REDISCOVERY_MS = 30_000;

export class GarbageCollector implements Controller {
  readonly name = "garbagecollector";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private readonly informers = new Map<string, Informer<Obj>>();
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
    const inf = this.ctx.informers.informer<Obj>(ref);
    this.informers.set(kind, inf);
    const item = (o: KubeObject) => `${kind}|${keyOf(o)}`;
    const track = (o: Obj) => {
      this.byUid.set(String(o.metadata.uid), { kind, key: keyOf(o) });
      for (const r of (o.metadata.ownerReferences ?? []) as OwnerRef[]) {
        if (!this.dependents.has(r.uid)) this.dependents.set(r.uid, new Set());
        this.dependents.get(r.uid)!.add(item(o));
      }
    };
    inf.addEventHandler({
      add: (o) => { track(o); this.queue.add(item(o)); },
      update: (_old, o) => { track(o); this.queue.add(item(o)); },
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
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, REDISCOVERY_MS);
        signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }

  /** An owner absent from the caches: gone for sure only if the server says so (or holds another object by that name). */
  private async ownerGone(r: OwnerRef, namespace: string | undefined): Promise<boolean> {
    const ref = this.kinds.get(r.kind);
    if (!ref) return false;
    try {
      const owner = await this.ctx.client.get<Obj>(ref, ref.namespaced ? namespace : undefined, r.name);
      return owner.metadata.uid !== r.uid;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return true;
      throw err;
    }
  }

  private lookup(item: string): { kind: string; obj: Obj | undefined } {
    const [kind, key] = item.split("|") as [string, string];
    return { kind, obj: this.informers.get(kind)?.get(key) };
  }

  private liveDependents(owner: Obj): Obj[] {
    return [...(this.dependents.get(String(owner.metadata.uid)) ?? [])].map((d) => this.lookup(d).obj).filter((o): o is Obj => o !== undefined)
      .filter((o) => ((o.metadata.ownerReferences ?? []) as OwnerRef[]).some((r) => r.uid === owner.metadata.uid));
  }

  private async sync(item: string): Promise<number | void> {
    const { kind, obj } = this.lookup(item);
    if (!obj) return;
    const finalizers: string[] = (obj.metadata.finalizers as string[] | undefined) ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes("foregroundDeletion")) return this.foreground(kind, obj);
    if (obj.metadata.deletionTimestamp && finalizers.includes("orphan")) return this.orphan(kind, obj);
    const refs = (obj.metadata.ownerReferences ?? []) as OwnerRef[];
    if (!refs.length) return;
    // An owner that is gone, or known by another uid, no longer owns anything.
    const alive: OwnerRef[] = [];
    for (const r of refs) if (this.byUid.has(r.uid) || !(await this.ownerGone(r, obj.metadata.namespace))) alive.push(r);
    if (alive.length === refs.length) {
      // An owner being deleted in the foreground waits for us: go with it.
      const waiting = refs.some((r) => {
        const o = this.byUid.get(r.uid);
        const owner = o && this.informers.get(o.kind)?.get(o.key);
        return owner?.metadata.deletionTimestamp && ((owner.metadata.finalizers as string[] | undefined) ?? []).includes("foregroundDeletion");
      });
      if (waiting) await this.remove(kind, obj, "Foreground");
      return;
    }
    if (alive.length > 0) {
      const remaining = refs.filter((r) => alive.includes(r));
      await this.ctx.client.patch(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name!, { metadata: { ownerReferences: remaining, resourceVersion: obj.metadata.resourceVersion } }).catch(ignoreGone);
      return;
    }
    await this.remove(kind, obj, "Background");
  }

  private async remove(kind: string, obj: Obj, policy: string): Promise<void> {
    await this.ctx.client.request("DELETE", this.ctx.client.path(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name), {
      propagationPolicy: policy, preconditions: { uid: obj.metadata.uid },
    }).catch(ignoreGone);
  }

  private async foreground(kind: string, owner: Obj): Promise<number | void> {
    const deps = this.liveDependents(owner);
    for (const d of deps) {
      const dk = this.byUid.get(String(d.metadata.uid))?.kind;
      if (dk && !d.metadata.deletionTimestamp) await this.remove(dk, d, "Foreground");
    }
    if (deps.length) return 1000;
    await this.dropFinalizer(kind, owner, "foregroundDeletion");
  }

  private async orphan(kind: string, owner: Obj): Promise<void> {
    for (const d of this.liveDependents(owner)) {
      const dk = this.byUid.get(String(d.metadata.uid))?.kind;
      if (!dk) continue;
      const refs = ((d.metadata.ownerReferences ?? []) as OwnerRef[]).filter((r) => r.uid !== owner.metadata.uid);
      await this.ctx.client.patch(this.kinds.get(dk)!, d.metadata.namespace, d.metadata.name!, { metadata: { ownerReferences: refs.length ? refs : null } }).catch(ignoreGone);
    }
    await this.dropFinalizer(kind, owner, "orphan");
  }

  private async dropFinalizer(kind: string, obj: Obj, finalizer: string): Promise<void> {
    const finalizers = ((obj.metadata.finalizers as string[] | undefined) ?? []).filter((f) => f !== finalizer);
    await this.ctx.client.patch(this.kinds.get(kind)!, obj.metadata.namespace, obj.metadata.name!, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: obj.metadata.resourceVersion } }).catch(ignoreGone);
  }
}

function ignoreGone(err: unknown): void {
  const code = (err as { code?: number }).code;
  if (code !== 404 && code !== 409) throw err;
}
