/**
 * The ClusterRole aggregation controller (upstream's clusterroleaggregation):
 * a ClusterRole with `aggregationRule.clusterRoleSelectors` gets as its rules
 * the union of the rules of every other ClusterRole that any selector matches,
 * deduplicated, in selector order then name order, kept current as those change.
 */
import type { ClusterRole, PolicyRule } from "kubernetes-types/rbac/v1.js";
import { isConflict, isNotFound } from "../../api/errors.js";
import { jsonEqual } from "../../api/json-equal.js";
import { labelSelectorRequirements, matchesLabels } from "../../api/selectors.js";
import { WorkQueue, type Informer, type ResourceRef } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";

const clusterRoles: ResourceRef = { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false };

/** The rules an aggregated role should have, given every ClusterRole there is. */
export function aggregateRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const byName = [...all].sort((a, b) => ((a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1));
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const reqs = labelSelectorRequirements(selector);
    for (const other of byName) {
      if (other.metadata?.name === role.metadata?.name) continue;
      if (!matchesLabels(reqs, other.metadata?.labels)) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => jsonEqual(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

export class ClusterRoleAggregationController implements Controller {
  readonly name = "clusterrole-aggregation";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private roles!: Informer<Kube<ClusterRole>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.roles = ctx.informers.informer<Kube<ClusterRole>>(clusterRoles);
    // Any change can alter what a selector matches, so every aggregated role is looked at again, as upstream does.
    const enqueueAggregated = () => {
      for (const r of this.roles.list()) if (r.aggregationRule) this.queue.add(String(r.metadata.name));
    };
    this.roles.addEventHandler({ add: enqueueAggregated, update: enqueueAggregated, delete: enqueueAggregated });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "clusterrole aggregation");
  }

  private async sync(name: string): Promise<void> {
    const role = this.roles.get(name);
    if (!role?.aggregationRule) return;
    const rules = aggregateRules(role, this.roles.list());
    if (jsonEqual(rules, role.rules ?? [])) return;
    try {
      await this.ctx.client.update(clusterRoles, undefined, { ...structuredClone(role), rules });
    } catch (err) {
      // Gone: nothing to do. Conflict: the newer version's event queues it again.
      if (isNotFound(err) || isConflict(err)) return;
      throw new Error(`aggregate clusterrole ${name}: ${String(err)}`, { cause: err });
    }
  }
}
