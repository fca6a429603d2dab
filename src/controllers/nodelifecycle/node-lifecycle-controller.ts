/**
 * The node lifecycle controller: a node whose Lease has not been renewed
 * within the grace period turns Ready=Unknown; every node carries the taints
 * its conditions call for (condition-taints.ts: not-ready, unreachable,
 * pressure and unschedulable taints, added and removed as they change, so a
 * new node's not-ready taint goes once its kubelet reports Ready); pods on a
 * node with a NoExecute taint they do not tolerate are evicted, at once or
 * after their tolerationSeconds, so their controllers replace them elsewhere.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { isConflict, isNotFound } from "../../api/errors.js";
import { tolerates } from "../../scheduler/index.js";
import { type Controller, type ControllerContext, type Kube, nowTime, runQueue, sleep } from "../controller.js";
import { conditionTaints } from "./condition-taints.js";
import type { Node, NodeCondition, Pod, Taint } from "kubernetes-types/core/v1.js";
import type { Lease } from "kubernetes-types/coordination/v1.js";

/** The conditions a kubelet reports about its node's health, Unknown when it goes silent. */
const HEALTH_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its Lease (upstream's --node-monitor-grace-period, 40 s). */
  gracePeriodMs?: number;
  /** How often nodes are checked (upstream's --node-monitor-period, 5 s). */
  periodMs?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = "nodelifecycle";
  private ctx!: ControllerContext;
  private nodes!: Informer<Kube<Node>>;
  private leases!: Informer<Kube<Lease>>;
  private pods!: Informer<Kube<Pod>>;
  private readonly evicted = new Set<string>();
  /** Nodes whose taints to bring in line with their conditions (upstream's nodeUpdateQueue). */
  private readonly taintQueue = new WorkQueue();

  constructor(private readonly options: NodeLifecycleOptions = {}) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.nodes = ctx.informers.informer<Kube<Node>>(Resources.nodes);
    this.leases = ctx.informers.informer<Kube<Lease>>(Resources.leases);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    // Taints follow a change of conditions at once, not at the next monitoring pass.
    this.nodes.addEventHandler({ add: (n) => this.taintQueue.add(n.metadata.name!), update: (_o, n) => this.taintQueue.add(n.metadata.name!) });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([runQueue(this.taintQueue, signal, 1, (name) => this.syncTaints(name), this.ctx, "node taints"), this.monitorLoop(signal)]);
  }

  private async monitorLoop(signal: AbortSignal): Promise<void> {
    const period = this.options.periodMs ?? 5000;
    while (!signal.aborted) {
      try {
        await this.monitor();
      } catch (err) {
        this.ctx.log("node monitoring failed", { err: String(err) });
      }
      await sleep(period, signal);
    }
  }

  private async monitor(): Promise<void> {
    const grace = this.options.gracePeriodMs ?? 40_000;
    const now = Date.now();
    for (const node of this.nodes.list()) {
      const name = node.metadata.name!;
      const lease = this.leases.get(`kube-node-lease/${name}`);
      const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : Date.parse(node.metadata.creationTimestamp!);
      const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
      if (now - renewed > grace && ready?.status !== "Unknown") await this.markUnknown(node);
      // Level-triggered: a taint write that failed, or a change missed, is caught up here.
      this.taintQueue.add(name);
      await this.evictIntolerant(node, now);
    }
  }

  private async markUnknown(node: Kube<Node>): Promise<void> {
    const t = nowTime();
    const conditions: NodeCondition[] = (node.status?.conditions ?? []).map((c) =>
      HEALTH_CONDITIONS.includes(c.type)
        ? { ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: t }
        : c);
    // A node whose kubelet never reported gets the conditions as Unknown, as upstream's tryUpdateNodeHealth.
    for (const type of HEALTH_CONDITIONS) {
      if (!conditions.some((c) => c.type === type)) {
        conditions.push({ type, status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: t });
      }
    }
    await this.ctx.client.patch(Resources.nodes, undefined, node.metadata.name!, { status: { conditions } }, "merge", "status");
    this.ctx.recorder.event({ ...node, kind: "Node", metadata: { ...node.metadata, namespace: "default" } }, "Normal", "NodeNotReady", `Node ${node.metadata.name} status is now: NodeNotReady`);
  }

  /** Writes the node's condition taints when they differ from what its conditions call for, against the version read. */
  private async syncTaints(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    const taints = conditionTaints(node, nowTime());
    if (!taints) return;
    try {
      await this.ctx.client.patch(Resources.nodes, undefined, name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: taints.length ? taints : null } }, "merge");
    } catch (err) {
      if (isNotFound(err)) return;
      // A newer version of the node is on its way through the informer, which queues the node again.
      if (isConflict(err)) return;
      throw err;
    }
  }

  /** Evicts pods that do not tolerate a NoExecute taint, once their tolerationSeconds have passed. */
  private async evictIntolerant(node: Kube<Node>, now: number): Promise<void> {
    const noExecute: Taint[] = (node.spec?.taints ?? []).filter((t) => t.effect === "NoExecute");
    if (!noExecute.length) return;
    for (const pod of this.pods.list()) {
      if (pod.spec?.nodeName !== node.metadata.name || pod.metadata.deletionTimestamp || this.evicted.has(String(pod.metadata.uid))) continue;
      const tolerations = pod.spec?.tolerations ?? [];
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
