/**
 * managedFields bookkeeping: which manager set which fields, in upstream's
 * FieldsV1 encoding (`f:<field>`, `k:<merge key JSON>` for keyed list items).
 * A manager owns the fields it set; a write by one manager takes the fields it
 * changed away from the others. Server-side apply reads the same sets.
 */
import { canonicalJson } from "../../api/json-equal.js";
import { listStrategy } from "../../api/patch/strategic-merge-patch.js";
import { isObject } from "../../api/json.js";
import type { KubeObject } from "../../api/kube-object.js";
import { rfc3339 } from "../../api/time.js";
import type { ManagedFieldsEntry } from "kubernetes-types/meta/v1.js";

export type { ManagedFieldsEntry };

/** A FieldsV1 set as the server builds it: each path a chain of nested objects, "." marking a keyed item that is itself set. */
export interface FieldsTree { [part: string]: FieldsTree }

const SERVER_FIELDS = new Set(["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "name", "namespace"]);

/** Leaf paths of an object (each path joined with "\u0001"), with their values as JSON. */
export function leafFields(obj: unknown, subresource?: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string[], parents: string[]) => {
    if (isObject(v)) {
      const entries = Object.entries(v);
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
      const items: unknown[] = v;
      if (strategy && "mergeKey" in strategy && items.every((e) => isKeyed(e, strategy.mergeKey))) {
        if (v.length === 0) out.set(path.join("\u0001"), "[]");
        for (const e of items.filter((e) => isKeyed(e, strategy.mergeKey))) walk(e, [...path, `k:${JSON.stringify({ [strategy.mergeKey]: e[strategy.mergeKey] })}`], parents);
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

/** Whether a list item can be told apart by a merge key (an object holding it; arrays count as upstream's reflection lets them). */
function isKeyed(e: unknown, mergeKey: string): e is { [field: string]: unknown } {
  return typeof e === "object" && e !== null && mergeKey in e;
}

export function toFieldsV1(paths: Iterable<string>): FieldsTree {
  const root: FieldsTree = {};
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

export function fromFieldsV1(fields: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    // A client may write managedFields itself: anything but an object is a leaf.
    const children = isObject(node) ? Object.entries(node).filter(([k]) => k !== ".") : [];
    if (children.length === 0 && path.length) out.add(path.join("\u0001"));
    for (const [k, child] of children) walk(child, [...path, k]);
  };
  walk(fields ?? {}, []);
  return out;
}


/**
 * The managedFields after a write of `next` over `prev` by manager: the manager
 * gains every field it changed, other managers lose them, removed fields leave
 * every set. Entries left empty disappear.
 */
export function updateManagedFields(prev: KubeObject | undefined, next: KubeObject, manager: string | undefined, apiVersion: string, operation: "Apply" | "Update", subresource?: string, owned?: Set<string>): ManagedFieldsEntry[] {
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
