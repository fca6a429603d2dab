/**
 * The node lifecycle controller: a node whose Lease has not been renewed
 * within the grace period turns Ready=Unknown and gets the
 * node.kubernetes.io/unreachable taints; pods on a node with a NoExecute
 * taint they do not tolerate are evicted, at once or after their
 * tolerationSeconds, so their controllers replace them elsewhere. A node that
 * reports Ready again loses the taints.
 */
import { Resources, type Informer } from "../../client/index.js";
import { tolerates } from "../../scheduler/plugins/taint-toleration.js";
import { type Controller, type ControllerContext, type Json, type Obj, nowTime } from "../controller.js";

const UNREACHABLE = "node.kubernetes.io/unreachable";

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its Lease (upstream's --node-monitor-grace-period, 40 s). */
  gracePeriodMs?: number;
  /** How often nodes are checked (upstream's --node-monitor-period, 5 s). */
  periodMs?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = "nodelifecycle";
  private ctx!: ControllerContext;
  private nodes!: Informer<Obj>;
  private leases!: Informer<Obj>;
  private pods!: Informer<Obj>;
  private readonly evicted = new Set<string>();

  constructor(private readonly options: NodeLifecycleOptions = {}) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.nodes = ctx.informers.informer<Obj>(Resources.nodes);
    this.leases = ctx.informers.informer<Obj>(Resources.leases);
    this.pods = ctx.informers.informer<Obj>(Resources.pods);
  }

  async run(signal: AbortSignal): Promise<void> {
    const period = this.options.periodMs ?? 5000;
    while (!signal.aborted) {
      try {
        await this.monitor();
      } catch (err) {
        this.ctx.log("node monitoring failed", { err: String(err) });
      }
      await new Promise<void>((r) => { const t = setTimeout(r, period); signal.addEventListener("abort", () => { clearTimeout(t); r(); }, { once: true }); });
    }
  }

  private async monitor(): Promise<void> {
    const grace = this.options.gracePeriodMs ?? 40_000;
    const now = Date.now();
    for (const node of this.nodes.list()) {
      const name = node.metadata.name!;
      const lease = this.leases.get(`kube-node-lease/${name}`);
      const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : Date.parse(node.metadata.creationTimestamp!);
      const ready = (node.status?.conditions ?? []).find((c: Json) => c.type === "Ready");
      const taints: Json[] = node.spec?.taints ?? [];
      const tainted = taints.some((t) => t.key === UNREACHABLE);
      if (now - renewed > grace) {
        if (ready?.status !== "Unknown") await this.markUnknown(node);
        if (!tainted) await this.setTaints(node, [...taints, { key: UNREACHABLE, effect: "NoSchedule", timeAdded: nowTime() }, { key: UNREACHABLE, effect: "NoExecute", timeAdded: nowTime() }]);
      } else if (tainted && ready?.status === "True") {
        await this.setTaints(node, taints.filter((t) => t.key !== UNREACHABLE));
      }
      await this.evictIntolerant(node, now);
    }
  }

  private async markUnknown(node: Obj): Promise<void> {
    const t = nowTime();
    const conditions = (node.status?.conditions ?? []).map((c: Json) =>
      ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"].includes(c.type)
        ? { ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: t }
        : c);
    await this.ctx.client.patch(Resources.nodes, undefined, node.metadata.name!, { status: { conditions } }, "merge", "status");
    this.ctx.recorder.event({ ...node, kind: "Node", metadata: { ...node.metadata, namespace: "default" } }, "Normal", "NodeNotReady", `Node ${node.metadata.name} status is now: NodeNotReady`);
  }

  private async setTaints(node: Obj, taints: Json[]): Promise<void> {
    await this.ctx.client.patch(Resources.nodes, undefined, node.metadata.name!, { spec: { taints: taints.length ? taints : null } }, "merge");
  }

  /** Evicts pods that do not tolerate a NoExecute taint, once their tolerationSeconds have passed. */
  private async evictIntolerant(node: Obj, now: number): Promise<void> {
    const noExecute: Json[] = (node.spec?.taints ?? []).filter((t: Json) => t.effect === "NoExecute");
    if (!noExecute.length) return;
    for (const pod of this.pods.list()) {
      if (pod.spec?.nodeName !== node.metadata.name || pod.metadata.deletionTimestamp || this.evicted.has(String(pod.metadata.uid))) continue;
      const tolerations: Json[] = pod.spec?.tolerations ?? [];
      let due = 0;
      for (const taint of noExecute) {
        const match = tolerations.filter((t) => tolerates([t], taint));
        if (!match.length) { due = 0; break; }
        if (match.some((t) => t.tolerationSeconds === undefined)) { due = Infinity; continue; }
        const seconds = Math.min(...match.map((t) => t.tolerationSeconds as number));
        due = Math.max(due, Date.parse(taint.timeAdded ?? nowTime()) + seconds * 1000);
      }
      if (due > now) continue;
      this.evicted.add(String(pod.metadata.uid));
      await this.ctx.client.delete(Resources.pods, pod.metadata.namespace, pod.metadata.name!).catch(() => undefined);
      this.ctx.recorder.event(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    }
  }
}
