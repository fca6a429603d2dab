/** PriorityClasses: preempting lower priorities by default. */
import type { PriorityClass } from "kubernetes-types/scheduling/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const priorityClassTable = tablePrinter<Stored<PriorityClass>>(
  [["Value", "integer"], ["Global-Default", "boolean"], ["Age"], ["PreemptionPolicy", "string"]],
  (o, now) => [o.value ?? 0, Boolean(o.globalDefault), age(o.metadata.creationTimestamp, now), o.preemptionPolicy ?? "PreemptLowerPriority"],
);

export const priorityClassStrategy: Strategy<Stored<PriorityClass>> = {
  defaults(o) { o.preemptionPolicy ??= "PreemptLowerPriority"; },
  printer: priorityClassTable,
};
