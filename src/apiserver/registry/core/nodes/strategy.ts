/** Nodes: kubelets register theirs with a PUT, and select them by spec.unschedulable. */
import type { Node, NodeSpec } from "kubernetes-types/core/v1.js";
import type { Stored, Strategy } from "../../strategy.js";
import { nodeTable } from "./table.js";

export const nodeStrategy: Strategy<Stored<Node>> = {
  defaults(o) { o.spec ??= {} as NodeSpec; },
  printer: nodeTable,
  fieldSelectors: ["spec.unschedulable"],
  // An unset spec.unschedulable selects as "false", as upstream's NodeToSelectableFields.
  fieldValue(field, o) { return field === "spec.unschedulable" ? String(o.spec?.unschedulable === true) : undefined; },
  allowCreateOnUpdate: true,
};
