/**
 * The disruption controller: each PodDisruptionBudget's status says how many
 * of its pods are healthy, how many must stay so, and so how many may be
 * evicted now (disruptionsAllowed), which the eviction subresource reads.
 */
import { labelSelectorRequirements, matchesLabels } from "../../api/selectors.js";
import { Resources, WorkQueue, type Informer } from "../../client/index.js";
import { scaledValue } from "../deployment/util.js";
import type { Pod } from "kubernetes-types/core/v1.js";
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from "kubernetes-types/policy/v1.js";
import type { Condition } from "kubernetes-types/meta/v1.js";
import { type Controller, type ControllerContext, type Kube, isPodReady, keyOf, nowTime, splitKey, runQueue } from "../controller.js";

export class DisruptionController implements Controller {
  readonly name = "disruption";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private budgets!: Informer<Kube<PodDisruptionBudget>>;
  private pods!: Informer<Kube<Pod>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.budgets = ctx.informers.informer<Kube<PodDisruptionBudget>>(Resources.poddisruptionbudgets);
    this.pods = ctx.informers.informer<Kube<Pod>>(Resources.pods);
    this.budgets.addEventHandler({ add: (b) => this.queue.add(keyOf(b)), update: (_o, b) => this.queue.add(keyOf(b)) });
    const touch = (p: Kube<Pod>) => { for (const b of this.budgets.list(p.metadata.namespace)) this.queue.add(keyOf(b)); };
    this.pods.addEventHandler({ add: touch, update: (_o, p) => touch(p), delete: touch });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 2, (key) => this.sync(key), this.ctx, "poddisruptionbudget");
  }

  private async sync(key: string): Promise<void> {
    const pdb = this.budgets.get(key);
    if (!pdb) return;
    const [ns] = splitKey(key);
    const reqs = labelSelectorRequirements(pdb.spec?.selector ?? {});
    const pods = this.pods.list(ns).filter((p) => !p.metadata.deletionTimestamp && matchesLabels(reqs, p.metadata.labels)
      && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const expected = pods.length;
    const healthy = pods.filter(isPodReady).length;
    const desired = pdb.spec?.minAvailable !== undefined
      ? scaledValue(pdb.spec.minAvailable, expected, true)
      : Math.max(0, expected - scaledValue(pdb.spec?.maxUnavailable ?? 0, expected, true));
    const allowed = Math.max(0, healthy - desired);
    const previous = (pdb.status?.conditions ?? []).find((c) => c.type === "DisruptionAllowed");
    const value = allowed > 0 ? "True" : "False";
    const condition: Condition = {
      type: "DisruptionAllowed", status: value, observedGeneration: pdb.metadata.generation,
      reason: allowed > 0 ? "SufficientPods" : "InsufficientPods", message: "",
      lastTransitionTime: previous?.status === value ? previous.lastTransitionTime : nowTime(),
    };
    const status: PodDisruptionBudgetStatus = { observedGeneration: pdb.metadata.generation, disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected, conditions: [condition] };
    if (JSON.stringify(status) === JSON.stringify(pdb.status ?? {})) return;
    await this.ctx.client.update(Resources.poddisruptionbudgets, ns, { ...pdb, status }, "status")
      .catch((err) => { if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err; this.queue.add(key); });
  }
}
