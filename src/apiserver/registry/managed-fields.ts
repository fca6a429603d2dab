/**
 * managedFields bookkeeping: which manager set which fields, in upstream's
 * FieldsV1 encoding (`f:<field>`, `k:<merge key JSON>` for keyed list items).
 * A manager owns the fields it set; a write by one manager takes the fields it
 * changed away from the others. Server-side apply reads the same sets.
 */
import { canonicalJson } from "../../api/json-equal.js";
import { listStrategy } from "../../api/patch/strategic-merge-patch.js";
import { rfc3339 } from "../../api/time.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: Obj;
  subresource?: string;
}

const SERVER_FIELDS = new Set(["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "name", "namespace"]);

/** Leaf paths of an object (each path joined with "\u0001"), with their values as JSON. */
export function leafFields(obj: unknown, subresource?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string[], parents: string[]) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const entries = Object.entries(v as Obj);
      if (entries.length === 0 && path.length) out.set(path.join("\u0001"), "{}");
      for (const [k, child] of entries) {
        if (path.length === 0 && (k === "apiVersion" || k === "kind")) continue;
        if (path.length === 0 && ((k === "status") !== (subresource === "status"))) continue;
        if (path.length === 1 && path[0] === "f:metadata" && SERVER_FIELDS.has(k)) continue;
        walk(child, [...path, `f:${k}`], [...parents, k]);
      }
      return;
    }
    if (Array.isArray(v)) {
      const field = parents[parents.length - 1] ?? "";
      const strategy = listStrategy(parents.slice(0, -1), field);
      if (strategy && "mergeKey" in strategy && v.every((e) => e && typeof e === "object" && strategy.mergeKey in e)) {
        if (v.length === 0) out.set(path.join("\u0001"), "[]");
        for (const e of v as Obj[]) walk(e, [...path, `k:${JSON.stringify({ [strategy.mergeKey]: e[strategy.mergeKey] })}`], parents);
        return;
      }
      if (strategy && "set" in strategy) {
        if (v.length === 0) out.set(path.join("\u0001"), "[]");
        for (const e of v) out.set([...path, `v:${JSON.stringify(e)}`].join("\u0001"), JSON.stringify(e));
        return;
      }
    }
    out.set(path.join("\u0001"), canonicalJson(v));
  };
  walk(obj, [], []);
  return out;
}

export function toFieldsV1(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let node = root;
    const parts = p.split("\u0001");
    for (const [i, part] of parts.entries()) {
      node[part] ??= {};
      node = node[part];
      if (part.startsWith("k:") && i < parts.length - 1) node["."] ??= {};
    }
  }
  return root;
}

export function fromFieldsV1(fields: Obj | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    // A client may write managedFields itself: anything but an object is a leaf.
    const keys = node && typeof node === "object" && !Array.isArray(node) ? Object.keys(node).filter((k) => k !== ".") : [];
    if (keys.length === 0 && path.length) out.add(path.join("\u0001"));
    for (const k of keys) walk((node as Obj)[k], [...path, k]);
  };
  walk(fields ?? {}, []);
  return out;
}


/**
 * The managedFields after a write of `next` over `prev` by manager: the manager
 * gains every field it changed, other managers lose them, removed fields leave
 * every set. Entries left empty disappear.
 */
export function updateManagedFields(prev: Obj | undefined, next: Obj, manager: string | undefined, apiVersion: string, operation: "Apply" | "Update", subresource?: string, owned?: Set<string>): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = structuredClone(prev?.metadata?.managedFields ?? next.metadata?.managedFields ?? []);
  if (!manager) return entries;
  const after = leafFields(next, subresource);
  let changed: Set<string>;
  if (!prev) changed = new Set(after.keys());
  else {
    const before = leafFields(prev, subresource);
    changed = new Set([...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k));
  }
  const present = new Set([...leafFields(next, undefined).keys(), ...leafFields(next, "status").keys()]);
  const sub = subresource === "status" ? "status" : undefined;
  let mine: ManagedFieldsEntry | undefined;
  const kept: ManagedFieldsEntry[] = [];
  for (const e of entries) {
    if (e.manager === manager && e.operation === operation && (e.subresource ?? undefined) === sub) { mine = e; continue; }
    const set = [...fromFieldsV1(e.fieldsV1)].filter((p) => present.has(p) && !changed.has(p));
    if (set.length) kept.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  const mineSet = operation === "Apply" && owned
    ? owned
    : new Set([...fromFieldsV1(mine?.fieldsV1)].filter((p) => present.has(p)).concat([...changed]));
  if (mineSet.size === 0) return kept;
  const unchanged = mine && operation === "Update" && changed.size === 0;
  const entry: ManagedFieldsEntry = {
    manager, operation, apiVersion, time: unchanged ? mine!.time : rfc3339(), fieldsType: "FieldsV1", fieldsV1: toFieldsV1(mineSet),
  };
  if (sub) entry.subresource = sub;
  const position = entries.findIndex((e) => e === mine);
  if (mine && position >= 0) kept.splice(Math.min(position, kept.length), 0, entry);
  else kept.push(entry);
  return kept;
}
