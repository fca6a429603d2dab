/**
 * Server-side printing, as upstream's printers (pkg/printers/internalversion):
 * the Table a `kubectl get` asks for, and the cells that several resources'
 * printers share. Each resource's columns are in its strategy
 * (src/apiserver/registry/<group>/<resource>/).
 */
import type { PodSpec } from "kubernetes-types/core/v1.js";
import type { ObjectMeta } from "kubernetes-types/meta/v1.js";
import { formatLabelSelector } from "./selectors.js";

export interface TableColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean | null;

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: { cells: Cell[]; object: unknown }[];
}

/** The columns of a resource's table and one row's cells, the first column included. */
export interface TablePrinter<T> {
  columns: TableColumnDefinition[];
  row(o: T, now: number): Cell[];
}

/** A column after Name: its title, type (string unless said) and priority (0, shown always; 1, with -o wide). */
export type ColumnSpec = [name: string, type?: TableColumnDefinition["type"], priority?: number];

/** Upstream's HumanDuration: 5s, 3m20s, 10m, 5h3m, 2d, 3y20d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) return `${y}y${Math.floor(h / 24) % 365}d`;
  return `${y}y`;
}

export const age = (ts: string | undefined, now: number) => (ts ? humanDuration(now - Date.parse(ts)) : "<unknown>");
export const none = (v: unknown) => (v === undefined || v === null || v === "" ? "<none>" : String(v));
/** The CONTAINERS and IMAGES columns of the workloads (-o wide), from their pod template's spec. */
export const containers = (spec: PodSpec | undefined) => (spec?.containers ?? []).map((c) => c.name).join(",");
export const images = (spec: PodSpec | undefined) => (spec?.containers ?? []).map((c) => c.image).join(",");
export const selectorText = (sel: Parameters<typeof formatLabelSelector>[0]) => none(formatLabelSelector(sel));
export const mapSelector = (sel: Record<string, string> | undefined) =>
  none(Object.entries(sel ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(","));

/** Access modes as kubectl abbreviates them (PersistentVolumes and their claims). */
export function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = { ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" };
  return (modes ?? []).map((m) => short[m] ?? m).join(",");
}

const descriptions: Record<string, string> = {
  Name: "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  Age: "CreationTimestamp is a timestamp representing the server time when this object was created.",
};

export function column(name: string, type: TableColumnDefinition["type"] = "string", priority = 0, format = ""): TableColumnDefinition {
  return { name, type, format, description: descriptions[name] ?? name, priority };
}

export const nameColumn = column("Name", "string", 0, "name");

type Named = { metadata: ObjectMeta };

/**
 * A printer whose first column is the object's name, followed by columns
 * and their cells; name shows the name otherwise (StorageClass's "(default)").
 */
export function tablePrinter<T extends Named>(columns: ColumnSpec[], cells: (o: T, now: number) => Cell[], name: (o: T) => string = (o) => o.metadata.name as string): TablePrinter<T> {
  return {
    columns: [nameColumn, ...columns.map(([n, t, p]) => column(n, t ?? "string", p ?? 0))],
    row: (o, now) => [name(o), ...cells(o, now)],
  };
}

/** What a resource without columns of its own shows: name and age. */
export const defaultTablePrinter: TablePrinter<Named> = tablePrinter([["Age"]], (o, now) => [age(o.metadata.creationTimestamp, now)]);
