/**
 * The HorizontalPodAutoscaler controller (upstream's podautoscaler): every
 * sync period each autoscaler reads its target's scale, asks each metric for
 * a replica count (compute-metrics.ts, replica-calculator.ts), normalizes the
 * largest (behavior.ts), writes the new count through the scale subresource
 * and its status (status.ts). Autoscalers are read as autoscaling/v2, their
 * stored version; v1 clients see them through the API server's conversion.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerStatus, MetricStatus } from "kubernetes-types/autoscaling/v2.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import { matchesLabels, parseLabelSelector } from "../../api/selectors.js";
import { EventRecorder, Resources, WorkQueue, type Informer, type KubeObject, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, keyOf, runQueue } from "../controller.js";
import { ScaleHistory, type Normalized } from "./behavior.js";
import { computeReplicasForMetrics } from "./compute-metrics.js";
import { RestMetricsClient, type MetricsClient } from "./metrics-client.js";
import { defaultReplicaCalculatorOptions, type ReplicaCalculatorOptions } from "./replica-calculator.js";
import { ScaleClient } from "./scale-client.js";
import { nextStatus, setCondition } from "./status.js";

type Hpa = HorizontalPodAutoscaler & KubeObject;
type PodObject = Pod & KubeObject;

export const horizontalPodAutoscalers: ResourceRef = { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true };

export interface HorizontalControllerOptions {
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs?: number;
  /** Test seams. */
  metrics?: MetricsClient;
  now?: () => number;
}

export class HorizontalController implements Controller {
  readonly name = "horizontalpodautoscaling";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private hpas!: Informer<Hpa>;
  private pods!: Informer<PodObject>;
  private recorder!: EventRecorder;
  private metrics!: MetricsClient;
  private scales!: ScaleClient;
  private readonly history: ScaleHistory;
  private readonly syncPeriodMs: number;
  private readonly calc: ReplicaCalculatorOptions;

  constructor(private readonly options: HorizontalControllerOptions = {}) {
    const now = options.now ?? Date.now;
    this.syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.history = new ScaleHistory({ downscaleStabilizationMs: options.downscaleStabilizationMs ?? 5 * 60_000, now });
    this.calc = {
      tolerance: options.tolerance ?? defaultReplicaCalculatorOptions.tolerance,
      cpuInitializationPeriodMs: options.cpuInitializationPeriodMs ?? defaultReplicaCalculatorOptions.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: options.initialReadinessDelayMs ?? defaultReplicaCalculatorOptions.delayOfInitialReadinessStatusMs,
      now,
    };
  }

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.recorder = new EventRecorder(ctx.client, "horizontal-pod-autoscaler");
    this.metrics = this.options.metrics ?? new RestMetricsClient(ctx.client, { discoveryTtlMs: this.syncPeriodMs });
    this.scales = new ScaleClient(ctx.client);
    this.hpas = ctx.informers.informer<Hpa>(horizontalPodAutoscalers);
    this.pods = ctx.informers.informer<PodObject>(Resources.pods);
    // A new autoscaler is synced at once; after that every sync period (each sync requeues its key), so the
    // status this controller writes does not bring the autoscaler back before its time.
    this.hpas.addEventHandler({
      add: (h) => this.queue.add(keyOf(h)),
      update: (_o, h) => this.queue.addAfter(keyOf(h), this.syncPeriodMs),
      delete: (h) => this.history.forget(keyOf(h)),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "horizontalpodautoscaler");
  }

  /** Reconciles one autoscaler and comes back after the sync period, whatever happened. */
  async sync(key: string): Promise<number | void> {
    const cached = this.hpas.get(key);
    if (!cached) {
      this.history.forget(key);
      return;
    }
    try {
      await this.reconcile(structuredClone(cached), key);
    } catch (err) {
      this.ctx.log("sync horizontalpodautoscaler failed", { key, resourceVersion: cached.metadata.resourceVersion, err: (err as Error).message });
    }
    return this.syncPeriodMs;
  }

  private warn(hpa: Hpa, reason: string, message: string): void {
    this.recorder.event(this.eventTarget(hpa), "Warning", reason, message);
  }

  /** Informer items carry no kind; the Event's involvedObject must name it. */
  private eventTarget(hpa: Hpa): KubeObject {
    return { ...hpa, kind: "HorizontalPodAutoscaler", apiVersion: "autoscaling/v2" };
  }

  private async reconcile(hpa: Hpa, key: string): Promise<void> {
    const original = JSON.stringify(hpa.status ?? {});
    const status: HorizontalPodAutoscalerStatus = structuredClone(hpa.status ?? { desiredReplicas: 0 });
    const namespace = hpa.metadata.namespace!;
    const ref = hpa.spec!.scaleTargetRef;
    const reference = `${ref.kind}/${namespace}/${ref.name}`;

    let target: ResourceRef;
    let scale;
    try {
      target = await this.scales.resourceFor(ref.apiVersion ?? "", ref.kind);
      scale = await this.scales.get(target, namespace, ref.name);
    } catch (err) {
      const message = (err as Error).message;
      this.warn(hpa, "FailedGetScale", message);
      setCondition(status, "AbleToScale", "False", "FailedGetScale", `the HPA controller was unable to get the target's current scale: ${message}`);
      await this.updateStatusIfNeeded(hpa, original, status);
      throw new Error(`failed to query scale subresource for ${reference}: ${message}`, { cause: err });
    }
    setCondition(status, "AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, currentReplicas);
    const minReplicas = hpa.spec!.minReplicas ?? 1;
    const maxReplicas = hpa.spec!.maxReplicas;

    let desiredReplicas = 0;
    let rescaleReason = "";
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;
    if (currentReplicas === 0 && minReplicas !== 0) {
      // Someone scaled the target to zero: the autoscaler stands aside until it is scaled up again.
      rescale = false;
      setCondition(status, "ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = "Current number of replicas above Spec.MaxReplicas";
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = "Current number of replicas below Spec.MinReplicas";
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.computeMetrics(hpa, status, scale.status?.selector ?? "", currentReplicas, scale.status?.replicas ?? 0);
      metricStatuses = computed.statuses;
      if (computed.replicas === -1) {
        Object.assign(status, nextStatus(status, currentReplicas, status.desiredReplicas ?? 0, metricStatuses, false));
        await this.updateStatusIfNeeded(hpa, original, status);
        const message = computed.error?.message ?? "selector is required";
        this.warn(hpa, "FailedComputeMetricsReplicas", message);
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${message}`);
      }
      desiredReplicas = computed.replicas;
      if (desiredReplicas > currentReplicas) rescaleReason = `${computed.metric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = "All metrics below target";
      const normalized: Normalized = hpa.spec!.behavior
        ? this.history.normalizeWithBehavior(key, hpa.spec!.behavior, currentReplicas, desiredReplicas, minReplicas, maxReplicas)
        : this.history.normalize(key, currentReplicas, desiredReplicas, minReplicas, maxReplicas);
      setCondition(status, "AbleToScale", "True", normalized.ableToScale.reason, normalized.ableToScale.message);
      setCondition(status, "ScalingLimited", normalized.scalingLimited.status, normalized.scalingLimited.reason, normalized.scalingLimited.message);
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.scales.update(target, namespace, { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } });
      } catch (err) {
        const message = (err as Error).message;
        this.warn(hpa, "FailedRescale", `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
        setCondition(status, "AbleToScale", "False", "FailedUpdateScale", `the HPA controller was unable to update the target scale: ${message}`);
        Object.assign(status, nextStatus(status, currentReplicas, status.desiredReplicas ?? 0, status.currentMetrics, false));
        await this.updateStatusIfNeeded(hpa, original, status);
        throw new Error(`failed to rescale ${reference}: ${message}`, { cause: err });
      }
      setCondition(status, "AbleToScale", "True", "SucceededRescale", `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      this.recorder.event(this.eventTarget(hpa), "Normal", "SuccessfulRescale", `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      this.history.storeScaleEvent(key, hpa.spec!.behavior, currentReplicas, desiredReplicas);
      this.ctx.log("rescaled", { key, resourceVersion: hpa.metadata.resourceVersion, from: currentReplicas, to: desiredReplicas, reason: rescaleReason });
    } else {
      desiredReplicas = currentReplicas;
    }
    const next = nextStatus(status, currentReplicas, desiredReplicas, metricStatuses, rescale);
    await this.updateStatusIfNeeded(hpa, original, next);
  }

  private async computeMetrics(hpa: Hpa, status: HorizontalPodAutoscalerStatus, selector: string, specReplicas: number, statusReplicas: number) {
    if (!selector) {
      this.warn(hpa, "SelectorRequired", "selector is required");
      setCondition(status, "ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector");
      return { replicas: -1, metric: "", statuses: [] as MetricStatus[], timestamp: 0 };
    }
    let requirements;
    try {
      requirements = parseLabelSelector(selector);
    } catch (err) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
      this.warn(hpa, "InvalidSelector", message);
      setCondition(status, "ScalingActive", "False", "InvalidSelector", message);
      return { replicas: -1, metric: "", statuses: [] as MetricStatus[], timestamp: 0 };
    }
    const pods = this.pods.list(hpa.metadata.namespace).filter((p) => matchesLabels(requirements, p.metadata.labels));
    const computed = await computeReplicasForMetrics({
      hpa, metrics: this.metrics, pods, selector, specReplicas, statusReplicas, calc: this.calc,
      warn: (reason, message) => this.warn(hpa, reason, message),
    }, hpa.spec!.metrics ?? []);
    if (computed.replicas === -1) {
      if (computed.error) setCondition(status, "ScalingActive", "False", computed.error.reason, computed.error.conditionMessage);
    } else {
      setCondition(status, "ScalingActive", "True", "ValidMetricFound", `the HPA was able to successfully calculate a replica count from ${computed.metric}`);
    }
    return computed;
  }

  /** Writes the status when it changed; a conflict waits for the next sync, which reads the autoscaler afresh. */
  private async updateStatusIfNeeded(hpa: Hpa, original: string, status: HorizontalPodAutoscalerStatus): Promise<void> {
    if (JSON.stringify(status) === original) return;
    try {
      await this.ctx.client.update(horizontalPodAutoscalers, hpa.metadata.namespace, { ...hpa, apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", status } as KubeObject, "status");
    } catch (err) {
      if ((err as { code?: number }).code === 409 || (err as { code?: number }).code === 404) return;
      this.warn(hpa, "FailedUpdateStatus", (err as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
