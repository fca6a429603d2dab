/**
 * The DaemonSet controller: one pod on every node that the pod's node
 * selector, affinity and tolerations admit, pinned there by node affinity on
 * metadata.name (the scheduler binds it, as upstream); rolling updates
 * replace old pods node by node within maxUnavailable.
 */
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { NodeAffinity, NodeInfo, TaintToleration } from "../../scheduler/index.js";
import { type Controller, type ControllerContext, type Kube, controllerOf, controllerRef, isPodAvailable, isPodReady, keyOf, splitKey, runQueue, enqueueOwner } from "../controller.js";
import { REVISION_HASH_LABEL, ensureRevision, revisionHash } from "../revisions.js";
import { scaledValue } from "../deployment/util.js";
import { claimObjects, enqueueMatchingControllers, selectorOf } from "../controller-ref-manager.js";
import { Backoff } from "./backoff.js";
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from "kubernetes-types/apps/v1.js";
import type { Node, Pod, PodSpec, Toleration } from "kubernetes-types/core/v1.js";

/** The tolerations upstream adds to every daemon pod, so daemons survive node trouble. */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];
/** Pods on the host's network need no pod network, so they also run where it is not up yet. */
const HOST_NETWORK_TOLERATION: Toleration = { key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" };
const daemonTolerations = (spec: Partial<PodSpec> | undefined) => (spec?.hostNetwork ? [...DAEMON_TOLERATIONS, HOST_NETWORK_TOLERATION] : DAEMON_TOLERATIONS);

export class DaemonSetController implements Controller {
  readonly name = "daemonset";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private sets!: Informer<Kube<DaemonSet>>;
  private pods!: Informer<Kube<Pod>>;
  private nodes!: Informer<Kube<Node>>;
  private revisions!: Informer<Kube<ControllerRevision>>;
  private readonly affinity = new NodeAffinity();
  private readonly taints = new TaintToleration();
  private readonly failedPodsBackoff = new Backoff(1_000, 15 * 60_000);

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.sets = ctx.informers.informer<Kube<DaemonSet>>(Resources.daemonsets);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.nodes = ctx.informers.informer<Kube<Node>>(Resources.nodes);
    this.revisions = ctx.informers.informer<Kube<ControllerRevision>>(Resources.controllerrevisions);
    this.sets.addEventHandler({ add: (s) => this.queue.add(keyOf(s)), update: (_o, s) => this.queue.add(keyOf(s)) });
    const all = () => { for (const s of this.sets.list()) this.queue.add(keyOf(s)); };
    this.nodes.addEventHandler({ add: all, update: all, delete: all });
    enqueueOwner(this.pods, "DaemonSet", this.queue);
    enqueueMatchingControllers(this.pods, this.sets, this.queue);
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "daemonset");
  }

  private podSpecFor(set: Kube<DaemonSet>, node: string): Partial<PodSpec> {
    const spec: Partial<PodSpec> = structuredClone(set.spec!.template.spec ?? {});
    const tolerations = spec.tolerations ?? [];
    for (const t of daemonTolerations(spec)) if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
    spec.tolerations = tolerations;
    const required = { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }] };
    spec.affinity = { ...(spec.affinity ?? {}), nodeAffinity: { ...(spec.affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
    return spec;
  }

  private eligible(set: Kube<DaemonSet>, node: Kube<Node>): boolean {
    const podSpec = set.spec!.template.spec;
    // A pod that is never run: only its affinity and tolerations are read (containers: [] makes it a PodSpec).
    const probe = { metadata: {}, spec: { containers: [], ...podSpec, tolerations: [...(podSpec?.tolerations ?? []), ...daemonTolerations(podSpec)] } };
    const info = new NodeInfo(node);
    return this.affinity.filter(probe, info).code === "Success" && this.taints.filter(probe, info).code === "Success";
  }

  private async sync(key: string): Promise<number | void> {
    const set = this.sets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const [ns] = splitKey(key);
    const hash = revisionHash(set.spec!.template);
    await ensureRevision(this.ctx.client, set, "DaemonSet", this.revisions.list(ns).filter((r) => controllerOf(r)?.uid === set.metadata.uid));
    const byNode = new Map<string | undefined, Kube<Pod>[]>();
    const claimed = await claimObjects(this.pods.list(ns), {
      client: this.ctx.client, controller: set, kind: { apiVersion: "apps/v1", kind: "DaemonSet", resource: Resources.daemonsets }, dependents: Resources.pods, selector: selectorOf(set),
    });
    // A node whose daemon pod is still terminating gets its new one once that pod is gone, as upstream's
    // (without maxSurge): the two never run side by side.
    const terminatingOn = new Set<string | undefined>();
    for (const p of claimed) {
      const node = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0] ?? p.spec?.nodeName;
      if (p.metadata.deletionTimestamp) { terminatingOn.add(node); continue; }
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    const nodes = this.nodes.list();
    const wanted = nodes.filter((n) => this.eligible(set, n));
    let misscheduled = 0;
    let retryIn: number | undefined;
    for (const n of wanted) {
      const name = n.metadata.name!;
      const mine = byNode.get(name) ?? [];
      if (mine.length === 0 && !terminatingOn.has(name)) await this.createPod(set, name, hash);
      // A failed daemon pod is deleted, and made again on the next sync, with a backoff per node, as upstream's
      // (a kubelet that keeps rejecting the pod would otherwise be fought in a hot loop).
      const running: Kube<Pod>[] = [];
      for (const p of mine) {
        if (p.status?.phase !== "Failed") { running.push(p); continue; }
        const wait = this.failedPodsBackoff.wait(`${key}/${name}`);
        if (wait > 0) { retryIn = Math.min(retryIn ?? wait, wait); continue; }
        this.ctx.recorder.event(set, "Warning", "FailedDaemonPod", `Found failed daemon pod ${ns}/${p.metadata.name} on node ${name}, will try to kill it`);
        await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
      }
      byNode.set(name, running);
      for (const extra of running.slice(1)) await this.ctx.client.delete(Resources.pods, ns, extra.metadata.name!).catch(() => undefined);
    }
    const wantedNames = new Set(wanted.map((n) => n.metadata.name));
    for (const [node, pods] of byNode) {
      if (wantedNames.has(node)) continue;
      misscheduled += pods.length;
      for (const p of pods) await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
    }
    // Rolling update: old pods go, at most maxUnavailable of the set unavailable at once.
    const live = [...byNode.entries()].filter(([n]) => wantedNames.has(n)).flatMap(([, ps]) => ps.slice(0, 1));
    if ((set.spec?.updateStrategy?.type ?? "RollingUpdate") === "RollingUpdate") {
      const maxUnavailable = Math.max(1, scaledValue(set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, wanted.length, true));
      let unavailable = wanted.length - live.filter((p) => isPodAvailable(p, set.spec?.minReadySeconds ?? 0)).length;
      for (const p of live) {
        if (unavailable >= maxUnavailable) break;
        if (p.metadata.labels?.[REVISION_HASH_LABEL] === hash) continue;
        await this.ctx.client.delete(Resources.pods, ns, p.metadata.name!).catch(() => undefined);
        unavailable++;
      }
    }
    const numberAvailable = live.filter((p) => isPodAvailable(p, set.spec?.minReadySeconds ?? 0)).length;
    const status: DaemonSetStatus = {
      currentNumberScheduled: live.length,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: wanted.length,
      numberReady: live.filter(isPodReady).length,
      observedGeneration: set.metadata.generation,
      updatedNumberScheduled: live.filter((p) => p.metadata.labels?.[REVISION_HASH_LABEL] === hash).length,
      numberAvailable,
    };
    status.numberUnavailable = Math.max(0, wanted.length - numberAvailable);
    for (const k of ["numberAvailable", "numberUnavailable", "updatedNumberScheduled"] as const) if (!status[k]) delete status[k];
    if (JSON.stringify(status) !== JSON.stringify(set.status ?? {})) {
      await this.ctx.client.update(Resources.daemonsets, ns, { ...set, status }, "status").catch((err) => { if ((err as { code?: number }).code !== 409) throw err; this.queue.add(key); });
    }
    return retryIn;
  }

  private async createPod(set: Kube<DaemonSet>, node: string, hash: string): Promise<void> {
    const t = set.spec!.template;
    await this.ctx.client.create(Resources.pods, set.metadata.namespace, {
      metadata: {
        generateName: `${set.metadata.name}-`,
        labels: { ...(t.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash, "pod-template-generation": String(set.metadata.generation ?? 1) },
        annotations: t.metadata?.annotations,
        ownerReferences: [controllerRef(set, "apps/v1", "DaemonSet")],
      },
      spec: this.podSpecFor(set, node),
    });
    this.ctx.recorder.event(set, "Normal", "SuccessfulCreate", `Created pod on node ${node}`);
  }
}
