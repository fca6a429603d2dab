/**
 * The namespace controller: a namespace being deleted has everything in it
 * deleted, resource by resource as discovery lists them, and then its
 * `kubernetes` finalizer removed so the API server lets it go.
 */
import { Resources, WorkQueue, discoverResources, type Informer, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, runQueue } from "../controller.js";
import type { Namespace } from "kubernetes-types/core/v1.js";

export class NamespaceController implements Controller {
  readonly name = "namespace";
  private readonly queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 10_000 });
  private ctx!: ControllerContext;
  private namespaces!: Informer<Kube<Namespace>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.namespaces = ctx.informers.informer<Kube<Namespace>>(Resources.namespaces);
    this.namespaces.addEventHandler({ add: (n) => this.queue.add(keyOf(n)), update: (_o, n) => this.queue.add(keyOf(n)) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "namespace");
  }

  /** Every namespaced resource that can be listed and deleted, from discovery. */
  private async resources(): Promise<ResourceRef[]> {
    return (await discoverResources(this.ctx.client)).filter((r) => r.namespaced && r.verbs.includes("delete") && r.verbs.includes("list"));
  }

  private async sync(name: string): Promise<number | void> {
    const ns = this.namespaces.get(name);
    if (!ns?.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes("kubernetes")) return;
    let remaining = 0;
    for (const r of await this.resources()) {
      const list = await this.ctx.client.list(r, name);
      for (const item of list.items) {
        remaining++;
        if (item.metadata.deletionTimestamp) continue;
        await this.ctx.client.request("DELETE", this.ctx.client.path(r, name, item.metadata.name), { propagationPolicy: "Background", ...(r.resource === "pods" ? { gracePeriodSeconds: 0 } : {}) })
          .catch((err) => { if ((err as { code?: number }).code !== 404) throw err; });
      }
    }
    if (remaining > 0) return 500;
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== "kubernetes");
    await this.ctx.client.request("PUT", `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, { ...ns, spec: { ...ns.spec, finalizers } });
  }
}
