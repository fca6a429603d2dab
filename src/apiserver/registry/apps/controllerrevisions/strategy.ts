/** ControllerRevisions: listed with the workload that owns them and their revision. */
import type { ControllerRevision } from "kubernetes-types/apps/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const controllerRevisionTable = tablePrinter<Stored<ControllerRevision>>([["Controller"], ["Revision", "integer"], ["Age"]], (o, now) => {
  const c = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
  return [c ? `${String(c.apiVersion).split("/")[0]}/${c.name}`.replace(/^v1\//, "") : "<none>", o.revision ?? 0, age(o.metadata.creationTimestamp, now)];
});

export const controllerRevisionStrategy: Strategy<Stored<ControllerRevision>> = {
  printer: controllerRevisionTable,
};
