/**
 * Pod garbage collection: pods bound to nodes that no longer exist are
 * removed, and terminated pods beyond a threshold go, oldest first.
 */
import { Resources, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, sleep } from "../controller.js";
import type { Node, Pod } from "kubernetes-types/core/v1.js";

export class PodGCController implements Controller {
  readonly name = "podgc";
  private ctx!: ControllerContext;
  private pods!: Informer<Kube<Pod>>;
  private nodes!: Informer<Kube<Node>>;

  constructor(private readonly options: { terminatedPodThreshold?: number; periodMs?: number } = {}) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.nodes = ctx.informers.informer<Kube<Node>>(Resources.nodes);
    this.nodes.addEventHandler({ delete: () => void this.collect().catch(() => undefined) });
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.collect().catch((err) => this.ctx.log("pod gc failed", { err: String(err) }));
      await sleep(this.options.periodMs ?? 20_000, signal);
    }
  }

  private async collect(): Promise<void> {
    const nodes = new Set(this.nodes.list().map((n) => n.metadata.name));
    const pods = this.pods.list();
    for (const p of pods) {
      if (p.spec?.nodeName && !nodes.has(p.spec.nodeName)) {
        await this.ctx.client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    }
    const threshold = this.options.terminatedPodThreshold ?? 12_500;
    const terminated = pods.filter((p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed")
      .sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
    for (const p of terminated.slice(0, Math.max(0, terminated.length - threshold))) {
      await this.ctx.client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  }
}
