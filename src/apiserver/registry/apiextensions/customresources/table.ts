/** `kubectl get` of a custom resource: the CRD's additionalPrinterColumns, or name and age. */
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { age, column, nameColumn, type Cell, type TableColumnDefinition, type TablePrinter } from "../../../../api/tables.js";
import type { Obj } from "../../object-store.js";

/** The value at a printer column's simple JSONPath (`.spec.replicas`, `.status.conditions[0].type`). */
function getPath(obj: unknown, jsonPath: string): Cell {
  let cur: unknown = obj;
  for (const part of jsonPath.replace(/^\./, "").split(".")) {
    if (!part) continue;
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || cur === null || typeof cur !== "object") return null;
    cur = (cur as Record<string, unknown>)[m[1]!];
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  if (cur === undefined || cur === null) return null;
  return typeof cur === "object" ? JSON.stringify(cur) : (cur as Cell);
}

export function customResourceTable(crd: CustomResourceInfo): TablePrinter<Obj> {
  const pcs = crd.printerColumns;
  if (pcs.length === 0) return { columns: [nameColumn, column("Age", "date")], row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
  return {
    columns: [nameColumn, ...pcs.map((p) => column(p.name, (p.type as TableColumnDefinition["type"]) ?? "string", p.priority ?? 0, p.format ?? ""))],
    row: (o, now) => [o.metadata.name, ...pcs.map((p) => {
      const v = getPath(o, p.jsonPath);
      return p.type === "date" && typeof v === "string" ? age(v, now) : v;
    })],
  };
}
