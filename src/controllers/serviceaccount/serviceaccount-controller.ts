/** The ServiceAccount controller: every active namespace has a `default` ServiceAccount. */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, keyOf, runQueue } from "../controller.js";
import type { Namespace, ServiceAccount } from "kubernetes-types/core/v1.js";

export class ServiceAccountController implements Controller {
  readonly name = "serviceaccount";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private namespaces!: Informer<Kube<Namespace>>;
  private accounts!: Informer<Kube<ServiceAccount>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.namespaces = ctx.informers.informer<Kube<Namespace>>(Resources.namespaces);
    this.accounts = ctx.informers.informer<Kube<ServiceAccount>>(Resources.serviceaccounts);
    this.namespaces.addEventHandler({ add: (n) => this.queue.add(keyOf(n)), update: (_o, n) => this.queue.add(keyOf(n)) });
    this.accounts.addEventHandler({ delete: (sa) => { if (sa.metadata.name === "default") this.queue.add(String(sa.metadata.namespace)); } });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "serviceaccount");
  }

  private async sync(ns: string): Promise<void> {
    const n = this.namespaces.get(ns);
    if (!n || n.metadata.deletionTimestamp || this.accounts.get(`${ns}/default`)) return;
    await this.ctx.client.create(Resources.serviceaccounts, ns, { metadata: { name: "default" } })
      .catch((err) => { const c = (err as { code?: number }).code; if (c !== 409 && c !== 403) throw err; });
  }
}
