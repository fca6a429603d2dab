/** PriorityClasses: preempting lower priorities by default. */
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const priorityClassStrategy: Strategy<Stored<PriorityClass>> = {
  defaults(o) { o.preemptionPolicy ??= "PreemptLowerPriority"; },
};
