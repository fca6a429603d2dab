/**
 * A Job's podFailurePolicy, as upstream evaluates it for a failed pod: the
 * rules in order, the first whose onExitCodes or onPodConditions match
 * decides. onExitCodes looks at the pod's terminated containers (init
 * containers too) with a non-zero exit code, optionally one container by
 * name; In matches a code in the list, NotIn one outside it. onPodConditions
 * matches a condition of the pod by type and status (True by default).
 */
import type { PodFailurePolicy } from "kubernetes-types/batch/v1.js";
import type { Pod } from "kubernetes-types/core/v1.js";

export type PodFailureAction = "FailJob" | "FailIndex" | "Ignore" | "Count";

export interface PodFailureMatch { action: PodFailureAction; index: number; message: string }

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailureMatch | undefined {
  const podName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [index, rule] of (policy?.rules ?? []).entries()) {
    const action = rule.action as PodFailureAction;
    if (rule.onExitCodes) {
      const { containerName, operator, values = [] } = rule.onExitCodes;
      const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      for (const cs of statuses) {
        const code = cs.state?.terminated?.exitCode;
        if (code === undefined || code === 0 || (containerName && cs.name !== containerName)) continue;
        if (operator === "In" ? values.includes(code) : !values.includes(code)) {
          return { action, index, message: `Container ${cs.name} for pod ${podName} failed with exit code ${code} matching ${action} rule at index ${index}` };
        }
      }
    }
    // status defaults to True on the server; an object that skipped defaulting is read the same way.
    for (const want of rule.onPodConditions ?? []) {
      const has = (pod.status?.conditions ?? []).some((c) => c.type === want.type && c.status === (want.status ?? "True"));
      if (has) return { action, index, message: `Pod ${podName} has condition ${want.type} matching ${action} rule at index ${index}` };
    }
  }
  return undefined;
}
