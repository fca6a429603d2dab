/**
 * The taints a node's conditions call for, as upstream's node lifecycle
 * controller keeps them: a NoSchedule taint for each condition that keeps
 * new pods away (Ready False or Unknown, memory, disk or PID pressure, no
 * network) and for spec.unschedulable, and a NoExecute taint while the node
 * is not ready or unreachable, which evicts the pods that do not tolerate it.
 * Taints of other keys are the user's and stay as they are.
 */
import type { Node, Taint } from "kubernetes-types/core/v1.js";

export const NOT_READY = "node.kubernetes.io/not-ready";
export const UNREACHABLE = "node.kubernetes.io/unreachable";
export const UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

/** Condition type -> status -> the NoSchedule taint key (upstream's nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: NOT_READY, Unknown: UNREACHABLE },
  MemoryPressure: { True: "node.kubernetes.io/memory-pressure" },
  DiskPressure: { True: "node.kubernetes.io/disk-pressure" },
  NetworkUnavailable: { True: "node.kubernetes.io/network-unavailable" },
  PIDPressure: { True: "node.kubernetes.io/pid-pressure" },
};
const NO_SCHEDULE_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), UNSCHEDULABLE]);
const NO_EXECUTE_KEYS = new Set([NOT_READY, UNREACHABLE]);

const managed = (t: Taint) => (t.effect === "NoSchedule" && NO_SCHEDULE_KEYS.has(t.key)) || (t.effect === "NoExecute" && NO_EXECUTE_KEYS.has(t.key));
const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/** The condition taints the node should carry, without timeAdded. */
export function wantedTaints(node: Node): Taint[] {
  const wanted: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) wanted.push({ key, effect: "NoSchedule" });
  }
  if (node.spec?.unschedulable) wanted.push({ key: UNSCHEDULABLE, effect: "NoSchedule" });
  const ready = (node.status?.conditions ?? []).find((c) => c.type === "Ready")?.status;
  if (ready === "False") wanted.push({ key: NOT_READY, effect: "NoExecute" });
  if (ready === "Unknown") wanted.push({ key: UNREACHABLE, effect: "NoExecute" });
  return wanted;
}

/**
 * The node's taints with the condition taints it lacks added (stamped with
 * now) and those no condition calls for any more removed; undefined when
 * nothing needs to change.
 */
export function conditionTaints(node: Node, now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const wanted = wantedTaints(node);
  const toAdd = wanted.filter((w) => !current.some((t) => managed(t) && same(t, w)));
  const toRemove = current.filter((t) => managed(t) && !wanted.some((w) => same(t, w)));
  if (!toAdd.length && !toRemove.length) return undefined;
  return [...current.filter((t) => !toRemove.includes(t)), ...toAdd.map((t) => ({ ...t, timeAdded: now }))];
}
