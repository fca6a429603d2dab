/**
 * The scheduler: pending pods that name this scheduler are taken one at a
 * time, filtered and scored against a snapshot of the nodes, assumed onto the
 * best node and bound through pods/binding. A pod that fits nowhere gets a
 * FailedScheduling event and PodScheduled=False, and is retried when a node
 * is added or changes or a pod goes away.
 */
import { EventRecorder, InformerFactory, Resources, type Client, type Informer } from "../client/index.js";
import { type CycleState, type FilterPlugin, type Json, NodeInfo, type ScorePlugin, type Snapshot, type Status } from "./framework.js";
import { InterPodAffinity } from "./plugins/inter-pod-affinity.js";
import { NodeAffinity } from "./plugins/node-affinity.js";
import { NodePorts } from "./plugins/node-ports.js";
import { PodTopologySpread } from "./plugins/pod-topology-spread.js";
import { NodeName } from "./plugins/node-name.js";
import { BalancedAllocation, NodeResourcesFit } from "./plugins/node-resources-fit.js";
import { NodeUnschedulable } from "./plugins/node-unschedulable.js";
import { TaintToleration } from "./plugins/taint-toleration.js";
import { rfc3339 } from "../api/time.js";

export interface SchedulerOptions {
  schedulerName?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const keyOf = (p: Json) => `${p.metadata.namespace}/${p.metadata.name}`;

export class Scheduler {
  private readonly filters: FilterPlugin[];
  private readonly scorers: ScorePlugin[];
  private readonly nodes = new Map<string, NodeInfo>();
  /** Where each bound or assumed pod is accounted. */
  private readonly placed = new Map<string, string>();
  private readonly active: string[] = [];
  private readonly queued = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private wake?: () => void;
  private readonly informers: InformerFactory;
  private pods!: Informer<Json & { metadata: { name: string } }>;
  private readonly recorder: EventRecorder;
  private readonly name: string;
  private nextStart = 0;
  private binding = 0;
  private bindingDone?: () => void;
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: SchedulerOptions = {}) {
    const fit = new NodeResourcesFit();
    const taints = new TaintToleration();
    const affinity = new NodeAffinity();
    const podAffinity = new InterPodAffinity();
    const spread = new PodTopologySpread();
    this.filters = [new NodeUnschedulable(), new NodeName(), taints, affinity, new NodePorts(), fit, spread, podAffinity];
    this.scorers = [fit, new BalancedAllocation(), taints, affinity, podAffinity, spread];
    this.informers = new InformerFactory(client);
    this.recorder = new EventRecorder(client, "default-scheduler");
    this.name = options.schedulerName ?? "default-scheduler";
  }

  private enqueue(key: string): void {
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.active.push(key);
    this.wake?.();
  }

  /** Something changed that could make a waiting pod fit: give them all another try. */
  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.enqueue(key);
    this.unschedulable.clear();
  }

  private account(p: Json): void {
    const key = keyOf(p);
    const node = p.spec?.nodeName;
    const was = this.placed.get(key);
    const terminal = p.status?.phase === "Succeeded" || p.status?.phase === "Failed";
    if (was && (was !== node || terminal)) {
      this.nodes.get(was)?.removePod(key);
      this.placed.delete(key);
    }
    if (node && !terminal) {
      this.nodes.get(node)?.addPod(key, p);
      this.placed.set(key, node);
    }
  }

  private unaccount(p: Json): void {
    const key = keyOf(p);
    const was = this.placed.get(key);
    if (was) this.nodes.get(was)?.removePod(key);
    this.placed.delete(key);
  }

  private mine(p: Json): boolean {
    return !p.spec?.nodeName && (p.spec?.schedulerName ?? "default-scheduler") === this.name && !p.metadata.deletionTimestamp
      && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
  }

  start(signal: AbortSignal): void {
    const nodes = this.informers.informer<Json & { metadata: { name: string } }>(Resources.nodes);
    this.pods = this.informers.informer(Resources.pods);
    nodes.addEventHandler({
      add: (n) => {
        const info = new NodeInfo(n);
        this.nodes.set(n.metadata.name, info);
        for (const [key, node] of this.placed) if (node === n.metadata.name) { const p = this.pods.get(key); if (p) info.addPod(key, p); }
        this.retryUnschedulable();
      },
      update: (_o, n) => { const info = this.nodes.get(n.metadata.name); if (info) info.node = n; this.retryUnschedulable(); },
      delete: (n) => { this.nodes.delete(n.metadata.name); },
    });
    this.pods.addEventHandler({
      add: (p) => { this.account(p); if (this.mine(p)) this.enqueue(keyOf(p)); },
      update: (_o, p) => { this.account(p); if (this.mine(p) && !this.unschedulable.has(keyOf(p))) this.enqueue(keyOf(p)); },
      delete: (p) => { this.unaccount(p); this.unschedulable.delete(keyOf(p)); this.retryUnschedulable(); },
    });
    this.informers.start(signal);
    this.ready = this.informers.waitForCacheSync();
    signal.addEventListener("abort", () => this.wake?.());
    void this.ready.then(() => this.loop(signal));
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = this.active.shift();
      if (key === undefined) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      this.queued.delete(key);
      const pod = this.pods.get(key);
      if (!pod || !this.mine(pod) || this.placed.has(key)) continue;
      try {
        await this.scheduleOne(pod);
      } catch (err) {
        this.options.log?.("scheduling failed", { pod: key, err: String(err) });
        this.unschedulable.add(key);
      }
    }
  }

  /** Filters and scores every node; returns the best node, or the reasons none fits. */
  schedule(pod: Json): { node?: string; reasons: Map<string, number>; total: number } {
    const reasons = new Map<string, number>();
    let best: { name: string; score: number }[] = [];
    const state: CycleState = new Map();
    const snapshot: Snapshot = { nodes: () => [...this.nodes.values()] };
    for (const f of this.filters) f.preFilter?.(pod, snapshot, state);
    for (const s of this.scorers) s.preScore?.(pod, snapshot, state);
    // Like upstream's percentageOfNodesToScore: in a large cluster, stop after enough
    // feasible nodes, starting where the last search stopped so every node gets its turn.
    const all = [...this.nodes.values()];
    const n = all.length;
    const enough = n < 100 ? n : Math.max(100, Math.floor((n * Math.max(5, 50 - n / 125)) / 100));
    let feasible = 0;
    let visited = 0;
    for (; visited < n && feasible < enough; visited++) {
      const info = all[(this.nextStart + visited) % n]!;
      let status: Status | undefined;
      for (const f of this.filters) {
        const s = f.filter(pod, info, state);
        if (s.code !== "Success") { status = s; break; }
      }
      if (status) {
        for (const r of status.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
        continue;
      }
      feasible++;
      const score = this.scorers.reduce((n, s) => n + s.weight * s.score(pod, info, state), 0);
      if (!best.length || score > best[0]!.score) best = [{ name: info.name, score }];
      else if (score === best[0]!.score) best.push({ name: info.name, score });
    }
    this.nextStart = n ? (this.nextStart + visited) % n : 0;
    const pick = best.length ? best[Math.floor(Math.random() * best.length)]!.name : undefined;
    return { node: pick, reasons, total: this.nodes.size };
  }

  private async scheduleOne(pod: Json): Promise<void> {
    const key = keyOf(pod);
    const result = this.schedule(pod);
    if (!result.node) return this.failed(pod, result.reasons, result.total);
    // Assume the pod onto the node at once, so the next pod sees the space taken, and
    // bind in the background (upstream's binding cycle), a bounded number at a time.
    this.nodes.get(result.node)?.addPod(key, { ...pod, spec: { ...pod.spec, nodeName: result.node } });
    this.placed.set(key, result.node);
    while (this.binding >= 64) await new Promise<void>((r) => (this.bindingDone = r));
    this.binding++;
    void this.bind(pod, key, result.node).catch((err) => {
      this.options.log?.("binding failed", { pod: key, err: String(err) });
      this.unschedulable.add(key);
    }).finally(() => {
      this.binding--;
      const done = this.bindingDone;
      this.bindingDone = undefined;
      done?.();
    });
  }

  private async bind(pod: Json, key: string, node: string): Promise<void> {
    try {
      await this.client.request("POST", `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
        apiVersion: "v1", kind: "Binding", metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: "v1", kind: "Node", name: node },
      });
      this.recorder.event(pod as never, "Normal", "Scheduled", `Successfully assigned ${key} to ${node}`);
    } catch (err) {
      this.nodes.get(node)?.removePod(key);
      this.placed.delete(key);
      if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err;
    }
  }

  private async failed(pod: Json, reasons: Map<string, number>, total: number): Promise<void> {
    const parts = [...reasons].map(([r, n]) => `${n} ${r}`).sort();
    const message = `0/${total} nodes are available${parts.length ? `: ${parts.join(", ")}` : ""}.`;
    this.unschedulable.add(keyOf(pod));
    this.recorder.event(pod as never, "Warning", "FailedScheduling", message);
    const conditions: Json[] = (pod.status?.conditions ?? []).filter((c: Json) => c.type !== "PodScheduled");
    const prev = (pod.status?.conditions ?? []).find((c: Json) => c.type === "PodScheduled");
    if (prev?.message === message) return;
    conditions.push({ type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: rfc3339(), reason: "Unschedulable", message });
    await this.client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name, { status: { conditions } }, "merge", "status").catch(() => undefined);
  }
}
