/** `kubectl get` of a custom resource: the CRD's additionalPrinterColumns, or name and age. */
import type { CustomResourceInfo } from "../../../../api/resources.js";
import { age, column, nameColumn, type Cell, type TableColumnDefinition, type TablePrinter } from "../../../../api/tables.js";
import type { Obj } from "../../object-store.js";
import { findResults } from "./json-path.js";

/**
 * A printer column's cell: absent is null, an object or list its JSON. As
 * upstream, the first value the path selects fills the cell.
 */
function cellAt(obj: Obj, jsonPath: string): Cell {
  let v: unknown;
  try { v = findResults(obj, jsonPath)[0]; } catch { return null; }
  if (v === undefined || v === null) return null;
  return typeof v === "object" ? JSON.stringify(v) : (v as Cell);
}

export function customResourceTable(crd: CustomResourceInfo): TablePrinter<Obj> {
  const pcs = crd.printerColumns;
  if (pcs.length === 0) return { columns: [nameColumn, column("Age", "date")], row: (o, now) => [o.metadata.name ?? null, age(o.metadata.creationTimestamp, now)] };
  return {
    columns: [nameColumn, ...pcs.map((p) => column(p.name, (p.type as TableColumnDefinition["type"]) ?? "string", p.priority ?? 0, p.format ?? ""))],
    row: (o, now) => [o.metadata.name ?? null, ...pcs.map((p) => {
      const v = cellAt(o, p.jsonPath);
      return p.type === "date" && typeof v === "string" ? age(v, now) : v;
    })],
  };
}
