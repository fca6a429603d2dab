/**
 * Roles, ClusterRoles and their bindings in memory, following storage: each
 * kind is listed, then watched from the list's revision; a watch that fails
 * (Compacted, or the store going away) is replaced by a relist after a short
 * delay. Every API server on one store keeps its own cache this way, so they
 * all decide alike. The RBAC authorizer reads `policy`.
 */
import type { ResourceCatalog } from "../../catalog.js";
import type { ObjectEvent, ObjectStore } from "../../registry/object-store.js";
import type { ResourceInfo } from "../../../api/resources.js";
import { InMemoryPolicy, type RbacKind, type RbacObject } from "./policy-source.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";
const KINDS: { kind: RbacKind; resource: string }[] = [
  { kind: "ClusterRole", resource: "clusterroles" },
  { kind: "ClusterRoleBinding", resource: "clusterrolebindings" },
  { kind: "Role", resource: "roles" },
  { kind: "RoleBinding", resource: "rolebindings" },
];

export interface RbacCacheOptions {
  objects: ObjectStore;
  catalog: ResourceCatalog;
  /** Wait before relisting after a failed watch or list (default 200 ms). */
  retryDelayMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface Follower {
  kind: RbacKind;
  info: ResourceInfo;
  watcher?: { close(): void };
  /** Bumped on each relist, so that a late event of a replaced watch is dropped. */
  epoch: number;
  timer?: NodeJS.Timeout;
}

export class RbacCache {
  readonly policy = new InMemoryPolicy();
  private readonly followers: Follower[];
  private stopped = false;
  private started?: Promise<void>;

  constructor(private readonly options: RbacCacheOptions) {
    this.followers = KINDS.map(({ kind, resource }) => {
      const info = options.catalog.lookup(RBAC_GROUP, "v1", resource);
      if (!info) throw new Error(`rbac cache: ${resource}.${RBAC_GROUP}/v1 is not in the resource catalog`);
      return { kind, info, epoch: 0 };
    });
  }

  /** Resolves once every kind has been listed and is being watched; a failing first list is retried, not thrown. */
  start(): Promise<void> {
    this.started ??= Promise.all(this.followers.map((f) => this.sync(f))).then(() => undefined);
    return this.started;
  }

  stop(): void {
    this.stopped = true;
    for (const f of this.followers) {
      f.epoch++;
      f.watcher?.close();
      f.watcher = undefined;
      if (f.timer) clearTimeout(f.timer);
    }
  }

  /** Lists then watches one kind, retrying until it succeeds or the cache stops. */
  private async sync(f: Follower): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      try {
        await this.relist(f);
        return;
      } catch (err) {
        this.options.log?.("rbac cache: list failed, retrying", { kind: f.kind, err: String(err) });
        await new Promise<void>((resolve) => { f.timer = setTimeout(resolve, this.options.retryDelayMs ?? 200); });
      }
    }
  }

  private async relist(f: Follower): Promise<void> {
    const epoch = ++f.epoch;
    f.watcher?.close();
    f.watcher = undefined;
    const list = await this.options.objects.list(f.info, undefined);
    if (this.stopped || epoch !== f.epoch) return;
    this.policy.replace(f.kind, list.items as RbacObject[]);
    const sel = this.options.objects.parseSelection(f.info);
    f.watcher = this.options.objects.watch(f.info, undefined, sel, Number(list.resourceVersion),
      (e) => { if (epoch === f.epoch) this.apply(f.kind, e); },
      (err) => {
        if (epoch !== f.epoch || this.stopped) return;
        this.options.log?.("rbac cache: watch ended, relisting", { kind: f.kind, err: String(err) });
        f.epoch++;
        f.timer = setTimeout(() => void this.sync(f), this.options.retryDelayMs ?? 200);
      });
  }

  private apply(kind: RbacKind, e: ObjectEvent): void {
    const obj = e.object as RbacObject;
    if (e.type === "DELETED") this.policy.remove(kind, obj.metadata?.namespace, obj.metadata?.name ?? "");
    else this.policy.upsert(kind, obj);
  }
}
