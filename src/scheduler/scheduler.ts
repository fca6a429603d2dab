/**
 * The scheduler: pending pods that name this scheduler are taken from the
 * scheduling queue highest priority first, filtered and scored against the
 * scheduler's view of the nodes, assumed onto the best node and bound through
 * pods/binding. A pod that fits nowhere may preempt pods of lower priority;
 * otherwise it gets a FailedScheduling event and PodScheduled=False, and is
 * retried (after its backoff) when a node is added or changes or a pod goes.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.js";
import type { StorageClass } from "kubernetes-types/storage/v1.js";
import { EventRecorder, InformerFactory, Resources, type Client, type Informer, type Kube } from "../client/index.js";
import { type CycleState, type FilterPlugin, NodeInfo, type ScorePlugin, type Snapshot, type Status } from "./framework.js";
import { ImageStates } from "./image-states.js";
import { InterPodAffinity, scoringTermsOf, termsOf } from "./plugins/inter-pod-affinity.js";
import { ImageLocality } from "./plugins/image-locality.js";
import { workloadListers } from "./plugins/default-spread-selector.js";
import { NodeAffinity } from "./plugins/node-affinity.js";
import { NodePorts } from "./plugins/node-ports.js";
import { PodTopologySpread } from "./plugins/pod-topology-spread.js";
import { NodeName } from "./plugins/node-name.js";
import { NodeResourcesFit } from "./plugins/node-resources-fit.js";
import { BalancedAllocation } from "./plugins/node-resources-balanced-allocation.js";
import { NodeUnschedulable } from "./plugins/node-unschedulable.js";
import { TaintToleration } from "./plugins/taint-toleration.js";
import { SELECTED_NODE, VolumeBinding } from "./plugins/volume-binding.js";
import { DefaultPreemption, priorityOf, type Candidate } from "./preemption.js";
import type { SchedulerMetrics } from "./metrics.js";
import { numFeasibleNodesToFind, selectHost } from "./prioritize.js";
import { SchedulingQueue, type QueueOptions } from "./queue.js";
import { TopologyCounts } from "./topology-counts.js";
import { rfc3339 } from "../api/time.js";

export interface SchedulerOptions {
  schedulerName?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  queue?: QueueOptions;
  /** Where attempts, preemptions and the queue's sizes are reported (scheduler_*). */
  metrics?: SchedulerMetrics;
}

/** How long a pod waits for its delayed claims to be provisioned before it is tried again. */
const BIND_TIMEOUT_MS = 60_000;

interface ScheduleResult {
  node?: string;
  /** filter reasons, with how many nodes gave each */
  reasons: Map<string, number>;
  statuses: Map<string, Status>;
  total: number;
  state: CycleState;
  /** a preFilter rejected the pod for every node: why */
  rejected?: string;
}

/** What of a node the filters read: its labels, spec (taints, unschedulable) and resources. */
const schedulingView = (n: Kube<Node>) => JSON.stringify([n.metadata.labels, n.spec, n.status?.allocatable, n.status?.capacity]);

/** A pod condition as the scheduler's status patches write it: an unset lastProbeTime is null, as upstream's JSON has it. */
type PodConditionPatch = Omit<PodCondition, "lastProbeTime"> & { lastProbeTime?: string | null };

const keyOf = (p: Kube<Pod>) => `${p.metadata.namespace}/${p.metadata.name}`;

export class Scheduler {
  private readonly filters: FilterPlugin[];
  private readonly scorers: ScorePlugin[];
  private readonly nodes = new Map<string, NodeInfo>();
  /** Where each bound or assumed pod is accounted. */
  private readonly placed = new Map<string, string>();
  private readonly queue: SchedulingQueue;
  private readonly topology: TopologyCounts;
  private readonly images = new ImageStates();
  private readonly snapshot: Snapshot;
  private readonly preemption: DefaultPreemption;
  private readonly volumeBinding: VolumeBinding;
  private claims?: Informer<Kube<PersistentVolumeClaim>>;
  private volumes?: Informer<Kube<PersistentVolume>>;
  private storageClasses?: Informer<Kube<StorageClass>>;
  private budgets?: Informer<Kube<PodDisruptionBudget>>;
  /** node -> pods nominated to it (pending, waiting for their victims to go) */
  private readonly nominated = new Map<string, Map<string, Kube<Pod>>>();
  private readonly nominatedTo = new Map<string, string>();
  private readonly informers: InformerFactory;
  private pods!: Informer<Kube<Pod>>;
  private readonly recorder: EventRecorder;
  private readonly name: string;
  private nextStart = 0;
  /** When each pending pod first entered the queue, and how often it was tried (scheduler_pod_scheduling_sli_duration_seconds). */
  private readonly firstQueued = new Map<string, { at: number; attempts: number }>();
  private binding = 0;
  private bindingDone?: () => void;
  ready!: Promise<void>;

  constructor(private readonly client: Client, private readonly options: SchedulerOptions = {}) {
    const fit = new NodeResourcesFit();
    const taints = new TaintToleration();
    const affinity = new NodeAffinity();
    const podAffinity = new InterPodAffinity();
    this.informers = new InformerFactory(client);
    const spread = new PodTopologySpread(workloadListers(this.informers));
    this.volumeBinding = new VolumeBinding({
      claim: (ns, name) => this.claims?.get(`${ns}/${name}`),
      volume: (name) => this.volumes?.get(name),
      storageClass: (name) => this.storageClasses?.get(name),
    });
    this.filters = [new NodeUnschedulable(), new NodeName(), taints, affinity, new NodePorts(), fit, this.volumeBinding, spread, podAffinity];
    // Upstream's default profile, in its order; the weights are the plugins' own.
    this.scorers = [taints, affinity, fit, spread, podAffinity, new BalancedAllocation(), new ImageLocality()];
    this.preemption = new DefaultPreemption(this.filters, () => this.budgets?.list() ?? [], (pod, info) => this.nominatedAhead(pod, info));
    this.queue = new SchedulingQueue(options.queue);
    this.topology = new TopologyCounts(() => this.nodes.values(), (p) => termsOf(p, "podAntiAffinity", "required"), scoringTermsOf);
    this.snapshot = { nodes: () => [...this.nodes.values()], topology: this.topology, images: this.images };
    this.recorder = new EventRecorder(client, "default-scheduler");
    this.name = options.schedulerName ?? "default-scheduler";
    options.metrics?.pending(() => this.queue.sizes());
  }

  private account(p: Kube<Pod>): void {
    const key = keyOf(p);
    this.nominate(key, p.spec?.nodeName || p.metadata.deletionTimestamp ? undefined : p.status?.nominatedNodeName, p);
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

  private unaccount(p: Kube<Pod>): void {
    const key = keyOf(p);
    this.nominate(key, undefined, p);
    const was = this.placed.get(key);
    if (was) this.nodes.get(was)?.removePod(key);
    this.placed.delete(key);
  }

  /** Pods nominated to a node by preemption hold their place there against pods of lower priority. */
  private nominate(key: string, node: string | undefined, p: Kube<Pod>): void {
    const was = this.nominatedTo.get(key);
    if (was === node) { if (node) this.nominated.get(node)!.set(key, p); return; }
    if (was) { this.nominated.get(was)?.delete(key); if (!this.nominated.get(was)?.size) this.nominated.delete(was); this.nominatedTo.delete(key); }
    if (node) {
      if (!this.nominated.has(node)) this.nominated.set(node, new Map());
      this.nominated.get(node)!.set(key, p);
      this.nominatedTo.set(key, node);
    }
  }

  /** The pods nominated to the node that matter as much as the pod or more (upstream's addNominatedPods). */
  private nominatedAhead(pod: Kube<Pod>, info: NodeInfo): [string, Kube<Pod>][] {
    const waiting = this.nominated.get(info.name);
    if (!waiting) return [];
    const key = keyOf(pod);
    return [...waiting].filter(([k, p]) => k !== key && priorityOf(p) >= priorityOf(pod));
  }

  /** The node as the pod must see it: with the pods nominated there that matter more, as if already placed. */
  private withNominated(pod: Kube<Pod>, info: NodeInfo): NodeInfo {
    const ahead = this.nominatedAhead(pod, info);
    if (!ahead.length) return info;
    const view = new NodeInfo(info.node);
    for (const [k, p] of info.pods) view.addPod(k, p);
    for (const [k, p] of ahead) view.addPod(k, p);
    return view;
  }

  private mine(p: Kube<Pod>): boolean {
    return !p.spec?.nodeName && (p.spec?.schedulerName ?? "default-scheduler") === this.name && !p.metadata.deletionTimestamp
      && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
  }

  start(signal: AbortSignal): void {
    const nodes = this.informers.informer<Kube<Node>>(Resources.nodes);
    this.pods = this.informers.informer(Resources.pods);
    const retry = () => this.queue.moveAllToActiveOrBackoff();
    nodes.addEventHandler({
      add: (n) => { this.addNode(n); retry(); },
      // Heartbeats rewrite node status often; only what the filters read can make a waiting pod fit.
      update: (o, n) => { this.updateNode(o, n); if (schedulingView(o) !== schedulingView(n)) retry(); },
      delete: (n) => this.removeNode(n.metadata.name!),
    });
    // Storage that appears or changes may let a waiting pod's claims fit.
    this.claims = this.informers.informer(Resources.persistentvolumeclaims);
    this.volumes = this.informers.informer(Resources.persistentvolumes);
    this.storageClasses = this.informers.informer(Resources.storageclasses);
    for (const inf of [this.claims, this.volumes, this.storageClasses]) inf.addEventHandler({ add: retry, update: retry });
    this.budgets = this.informers.informer(Resources.poddisruptionbudgets);
    this.pods.addEventHandler({
      add: (p) => { this.account(p); if (this.mine(p)) this.queue.add(keyOf(p), priorityOf(p)); },
      update: (o, p) => {
        this.account(p);
        const key = keyOf(p);
        if (!this.mine(p)) this.queue.forget(key);
        // A waiting pod's own status updates (its condition, its nomination) leave it where it waits; a changed spec or labels retry it now.
        else if (!this.queue.has(key) || JSON.stringify(o.spec) !== JSON.stringify(p.spec) || JSON.stringify(o.metadata.labels) !== JSON.stringify(p.metadata.labels)) this.queue.add(key, priorityOf(p));
        if (o.metadata.deletionTimestamp === undefined && p.metadata.deletionTimestamp) retry();
      },
      delete: (p) => { this.unaccount(p); this.queue.forget(keyOf(p)); this.firstQueued.delete(keyOf(p)); retry(); },
    });
    this.informers.start(signal);
    this.ready = this.informers.waitForCacheSync();
    signal.addEventListener("abort", () => this.queue.close());
    void this.ready.then(() => this.loop(signal));
  }

  private addNode(n: Kube<Node>): void {
    const info = new NodeInfo(n, this.topology);
    this.nodes.set(info.name, info);
    this.images.nodeAdded(n);
    this.topology.nodeChanged(info, 1);
    for (const [key, node] of this.placed) if (node === info.name) { const p = this.pods.get(key); if (p) info.addPod(key, p); }
  }

  private updateNode(old: Kube<Node>, n: Kube<Node>): void {
    const info = this.nodes.get(n.metadata.name!);
    if (!info) return this.addNode(n);
    this.images.nodeRemoved(info.node);
    this.images.nodeAdded(n);
    if (JSON.stringify(old.metadata.labels ?? {}) === JSON.stringify(n.metadata.labels ?? {})) { info.node = n; return; }
    // New labels move the node's pods between topology domains: count them out and back in.
    const pods = [...info.pods];
    for (const [key] of pods) info.removePod(key);
    this.topology.nodeChanged(info, -1);
    info.node = n;
    this.topology.nodeChanged(info, 1);
    for (const [key, p] of pods) info.addPod(key, p);
  }

  private removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    for (const key of [...info.pods.keys()]) info.removePod(key);
    this.topology.nodeChanged(info, -1);
    this.images.nodeRemoved(info.node);
    this.nodes.delete(name);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const key = await this.queue.pop();
      if (key === undefined) return;
      const pod = this.pods.get(key);
      if (!pod || !this.mine(pod) || this.placed.has(key)) { this.queue.forget(key); this.firstQueued.delete(key); continue; }
      const started = performance.now();
      const profile = pod.spec?.schedulerName ?? this.name;
      const first = this.firstQueued.get(key) ?? { at: started, attempts: 0 };
      first.attempts++;
      this.firstQueued.set(key, first);
      try {
        const result = await this.scheduleOne(pod);
        this.options.metrics?.attempt(result, profile, (performance.now() - started) / 1000);
        if (result === "scheduled") {
          this.firstQueued.delete(key);
          this.options.metrics?.scheduled((performance.now() - first.at) / 1000, first.attempts);
        }
      } catch (err) {
        this.options.metrics?.attempt("error", profile, (performance.now() - started) / 1000);
        this.options.log?.("scheduling failed", { pod: key, err: String(err) });
        this.queue.retryLater(key);
      }
    }
  }

  /** Filters the nodes (a sample of them in a large cluster) and scores those that fit; returns the best node, or the reasons none fits. */
  schedule(pod: Kube<Pod>): ScheduleResult {
    const reasons = new Map<string, number>();
    const statuses = new Map<string, Status>();
    const state: CycleState = new Map();
    for (const f of this.filters) {
      const rejected = f.preFilter?.(pod, this.snapshot, state);
      if (rejected && rejected.code !== "Success") {
        for (const name of this.nodes.keys()) statuses.set(name, rejected);
        return { reasons, statuses, total: this.nodes.size, state, rejected: rejected.reasons.join(", ") };
      }
    }
    // Like upstream's percentageOfNodesToScore: in a large cluster, stop after enough
    // feasible nodes, starting where the last search stopped so every node gets its turn.
    const all = [...this.nodes.values()];
    const n = all.length;
    const enough = numFeasibleNodesToFind(n);
    const feasible: NodeInfo[] = [];
    let visited = 0;
    for (; visited < n && feasible.length < enough; visited++) {
      const info = all[(this.nextStart + visited) % n]!;
      const view = this.withNominated(pod, info);
      let status: Status | undefined;
      for (const f of this.filters) {
        const s = f.filter(pod, view, state);
        if (s.code !== "Success") { status = s; break; }
      }
      if (status) {
        statuses.set(info.name, status);
        for (const r of status.reasons) reasons.set(r, (reasons.get(r) ?? 0) + 1);
        continue;
      }
      feasible.push(view);
    }
    this.nextStart = n ? (this.nextStart + visited) % n : 0;
    const pick = selectHost(this.scorers, pod, this.snapshot, state, feasible)?.name;
    return { node: pick, reasons, statuses, total: this.nodes.size, state };
  }

  /** One scheduling attempt: the pod assumed onto a node (bound in the background) or reported unschedulable. */
  private async scheduleOne(pod: Kube<Pod>): Promise<"scheduled" | "unschedulable"> {
    const key = keyOf(pod);
    const result = this.schedule(pod);
    if (!result.node && !result.total) {
      await this.failed(pod, result);
      return "unschedulable";
    }
    if (!result.node) {
      this.options.metrics?.preemptionAttempt();
      const preemption = this.preemption.preempt(pod, this.snapshot, result.statuses);
      if (preemption.candidate) await this.evict(pod, preemption.candidate);
      await this.failed(pod, result, preemption.candidate ? undefined : preemption.message);
      return "unschedulable";
    }
    this.queue.forget(key);
    // Assume the pod onto the node at once, so the next pod sees the space taken, and
    // bind in the background (upstream's binding cycle), a bounded number at a time.
    this.nodes.get(result.node)?.addPod(key, { ...pod, spec: { ...pod.spec!, nodeName: result.node } });
    this.placed.set(key, result.node);
    while (this.binding >= 64) await new Promise<void>((r) => (this.bindingDone = r));
    this.binding++;
    const delayedClaims = (result.state.get(this.volumeBinding.name) as { delayed: Kube<PersistentVolumeClaim>[] } | undefined)?.delayed ?? [];
    void this.bind(pod, key, result.node, delayedClaims).catch((err) => {
      this.options.log?.("binding failed", { pod: key, err: String(err) });
      this.queue.retryLater(key);
    }).finally(() => {
      this.binding--;
      const done = this.bindingDone;
      this.bindingDone = undefined;
      done?.();
    });
    return "scheduled";
  }

  private async bind(pod: Kube<Pod>, key: string, node: string, delayedClaims: Kube<PersistentVolumeClaim>[]): Promise<void> {
    try {
      if (delayedClaims.length) await this.provisionFor(node, delayedClaims);
      await this.client.request("POST", `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
        apiVersion: "v1", kind: "Binding", metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: "v1", kind: "Node", name: node },
      });
      this.recorder.event(pod, "Normal", "Scheduled", `Successfully assigned ${key} to ${node}`);
    } catch (err) {
      this.nodes.get(node)?.removePod(key);
      this.placed.delete(key);
      if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) throw err;
    }
  }

  /**
   * Preemption's outcome: the victims are marked with a DisruptionTarget
   * condition and deleted (with their grace period), pods of lower priority
   * nominated to the node lose that nomination, and the pod is nominated to
   * the node; it is retried as the victims go.
   */
  private async evict(pod: Kube<Pod>, { node, victims }: Candidate): Promise<void> {
    const schedulerName = pod.spec?.schedulerName ?? this.name;
    await Promise.all(victims.map(async (v) => {
      const conditions: PodConditionPatch[] = [...(v.status?.conditions ?? []).filter((c) => c.type !== "DisruptionTarget"),
        { type: "DisruptionTarget", status: "True", lastProbeTime: null, lastTransitionTime: rfc3339(), reason: "PreemptionByScheduler", message: `${schedulerName}: preempting to accommodate a higher priority pod` }];
      await this.client.patch(Resources.pods, v.metadata.namespace, v.metadata.name!, { status: { conditions } }, "strategic", "status").catch(() => undefined);
      await this.client.delete(Resources.pods, v.metadata.namespace, v.metadata.name!).catch((err) => { if ((err as { code?: number }).code !== 404) throw err; });
      this.recorder.event({ ...v, kind: "Pod", apiVersion: "v1" }, "Normal", "Preempted", `Preempted by pod ${pod.metadata.uid} on node ${node.name}`);
    }));
    // Pods of lower priority nominated here may no longer fit once this one is: they lose their nomination (upstream's prepareCandidate).
    const outranked = [...(this.nominated.get(node.name) ?? [])].filter(([k, p]) => k !== keyOf(pod) && priorityOf(p) < priorityOf(pod));
    await Promise.all(outranked.map(async ([k, p]) => {
      this.nominate(k, undefined, p);
      await this.client.patch(Resources.pods, p.metadata.namespace, p.metadata.name!, { status: { nominatedNodeName: null } }, "merge", "status").catch(() => undefined);
    }));
    this.nominate(keyOf(pod), node.name, pod);
    if (pod.status?.nominatedNodeName !== node.name) {
      await this.client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { status: { nominatedNodeName: node.name } }, "merge", "status").catch(() => undefined);
    }
  }

  /**
   * Upstream's PreBind for claims that wait for their first consumer: each is
   * marked with the chosen node, and the pod is bound once the provisioner
   * has bound them all.
   */
  private async provisionFor(node: string, claims: Kube<PersistentVolumeClaim>[]): Promise<void> {
    for (const c of claims) {
      if (c.metadata.annotations?.[SELECTED_NODE] === node) continue;
      await this.client.patch(Resources.persistentvolumeclaims, c.metadata.namespace, c.metadata.name!, { metadata: { annotations: { [SELECTED_NODE]: node } } });
    }
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    const bound = () => claims.every((c) => this.claims?.get(`${c.metadata.namespace}/${c.metadata.name}`)?.spec?.volumeName);
    while (!bound()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the volumes of ${claims.map((c) => c.metadata.name).join(", ")} to be provisioned`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async failed(pod: Kube<Pod>, result: ScheduleResult, preemption?: string): Promise<void> {
    const parts = [...result.reasons].map(([r, n]) => `${n} ${r}`).sort();
    const detail = result.rejected ?? parts.join(", ");
    const message = !result.total ? "no nodes available to schedule pods"
      : `0/${result.total} nodes are available${detail ? `: ${detail}` : ""}.${preemption ? ` preemption: ${preemption}` : ""}`;
    this.queue.failed(keyOf(pod));
    this.recorder.event(pod, "Warning", "FailedScheduling", message);
    const conditions: PodConditionPatch[] = (pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
    const prev = (pod.status?.conditions ?? []).find((c) => c.type === "PodScheduled");
    if (prev?.message === message) return;
    conditions.push({ type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: rfc3339(), reason: "Unschedulable", message });
    await this.client.patch(Resources.pods, pod.metadata.namespace, pod.metadata.name!, { status: { conditions } }, "merge", "status").catch(() => undefined);
  }
}
