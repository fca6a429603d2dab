/**
 * RBAC for one API server, assembled: the bootstrap policy reconciled into
 * storage, a cache that follows it, the authorizer reading the cache, and the
 * escalation checks the RBAC registry calls. `start()` resolves when the
 * authorizer is ready to decide (serve no request before that: every request
 * would be denied).
 */
import type { ResourceCatalog } from "../../catalog.js";
import type { ObjectStore } from "../../registry/object-store.js";
import { BootstrapReconciler, type BootstrapPolicy } from "./bootstrap-reconciler.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { RbacCache } from "./rbac-cache.js";

export interface RbacAuthorizationOptions {
  objects: ObjectStore;
  catalog: ResourceCatalog;
  /** Reconcile the bootstrap policy at start (default true), as upstream's rbac/bootstrap-roles post-start hook. */
  bootstrap?: boolean;
  /** Replaces the default bootstrap policy (tests). */
  policy?: BootstrapPolicy;
  /** How long start() keeps retrying a failing reconcile before it throws (default 30 s, as upstream). */
  bootstrapTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class RbacAuthorization {
  readonly cache: RbacCache;
  readonly authorizer: RbacAuthorizer;

  constructor(private readonly options: RbacAuthorizationOptions) {
    this.cache = new RbacCache({ objects: options.objects, catalog: options.catalog, log: options.log });
    this.authorizer = new RbacAuthorizer({ policy: this.cache.policy });
  }

  async start(): Promise<void> {
    if (this.options.bootstrap !== false) await this.reconcile();
    await this.cache.start();
  }

  stop(): void {
    this.cache.stop();
  }

  private async reconcile(): Promise<void> {
    const reconciler = new BootstrapReconciler({ objects: this.options.objects, catalog: this.options.catalog, policy: this.options.policy, log: this.options.log });
    const deadline = Date.now() + (this.options.bootstrapTimeoutMs ?? 30_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      try {
        await reconciler.reconcile();
        return;
      } catch (err) {
        if (Date.now() + delay > deadline) throw new Error("rbac: unable to reconcile the bootstrap policy", { cause: err });
        this.options.log?.("rbac: bootstrap reconcile failed, retrying", { err: String(err) });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
