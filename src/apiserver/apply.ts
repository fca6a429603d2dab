/**
 * Server-side apply: the applied configuration is merged into the live object,
 * its manager owns exactly the fields it applied, fields it applied before and
 * dropped now are removed unless another manager owns them, and a changed value
 * owned by another manager is a conflict unless forced.
 */
import { ApiError, notFound } from "../api/errors.js";
import { applyStrategicMergePatch } from "../api/patch/strategic-merge-patch.js";
import { groupVersion, type ResourceInfo } from "../api/resources.js";
import { applyMergePatch } from "../api/patch/merge-patch.js";
import { fromFieldsV1, leafFields, type ManagedFieldsEntry } from "./registry/managed-fields.js";
import type { ObjectStore, Obj, WriteOptions } from "./registry/object-store.js";

const SEP = "\u0001";

function displayPath(p: string): string {
  return p.split(SEP).map((part) => (part.startsWith("f:") ? `.${part.slice(2)}` : part.startsWith("k:") ? `[${Object.entries(JSON.parse(part.slice(2))).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}]` : `[${part}]`)).join("");
}

/** Removes one leaf path (in FieldsV1 form) from an object. */
function removePath(obj: Obj, path: string[]): void {
  let cur: unknown = obj;
  for (const [i, part] of path.entries()) {
    const last = i === path.length - 1;
    if (Array.isArray(cur)) {
      let idx = -1;
      if (part.startsWith("k:")) {
        const key = JSON.parse(part.slice(2)) as Obj;
        idx = cur.findIndex((e) => e && Object.entries(key).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v)));
      } else if (part.startsWith("v:")) {
        idx = cur.findIndex((e) => JSON.stringify(e) === part.slice(2));
      }
      if (idx < 0) return;
      if (last) { cur.splice(idx, 1); return; }
      cur = cur[idx];
      continue;
    }
    if (!cur || typeof cur !== "object" || !part.startsWith("f:")) return;
    const key = part.slice(2);
    if (last) { delete (cur as Obj)[key]; return; }
    cur = (cur as Obj)[key];
  }
}

export async function serverSideApply(
  objects: ObjectStore, info: ResourceInfo, namespace: string | undefined, name: string, patch: Obj,
  opts: WriteOptions & { force: boolean },
): Promise<{ object: Obj; created: boolean }> {
  const manager = opts.fieldManager!;
  if (patch.apiVersion !== groupVersion(info)) {
    throw new ApiError(400, "BadRequest", `Incorrect version specified in apply patch. Specified patch version: ${typeof patch.apiVersion === "string" ? patch.apiVersion : ""}, expected: ${groupVersion(info)}`);
  }
  if (patch.kind && patch.kind !== info.kind) throw new ApiError(400, "BadRequest", `the object provided is unrecognized (must be of type ${info.kind}): ${patch.kind}`);
  if (patch.metadata?.name && patch.metadata.name !== name) throw new ApiError(400, "BadRequest", `the name of the object (${patch.metadata.name}) does not match the name on the URL (${name})`);
  const applied = new Set(leafFields(patch, opts.subresource).keys());
  return objects.guaranteedUpdate(info, namespace, name, (current) => {
    if (!current) {
      const obj = structuredClone(patch);
      obj.metadata = { ...(obj.metadata ?? {}), name };
      return obj;
    }
    const live = leafFields(current, opts.subresource);
    const appliedValues = leafFields(patch, opts.subresource);
    const entries: ManagedFieldsEntry[] = current.metadata.managedFields ?? [];
    const conflicts: { manager?: string; apiVersion?: string; path: string }[] = [];
    for (const e of entries) {
      if (e.manager === manager && e.operation === "Apply") continue;
      if ((e.subresource ?? "") !== (opts.subresource ?? "")) continue;
      for (const p of fromFieldsV1(e.fieldsV1)) {
        if (applied.has(p) && live.has(p) && live.get(p) !== appliedValues.get(p)) conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: p });
      }
    }
    if (conflicts.length && !opts.force) {
      const causes = conflicts.map((c) => ({ type: "FieldManagerConflict", message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ""}`, field: displayPath(c.path) }));
      const lines = conflicts.map((c) => `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ""}: ${displayPath(c.path)}`);
      const message = conflicts.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
      throw new ApiError(409, "Conflict", message, { causes });
    }
    const body = structuredClone(patch);
    delete body.apiVersion;
    delete body.kind;
    let merged = (info.crd ? applyMergePatch(current, body) : applyStrategicMergePatch(current, body)) as Obj;
    // Fields this manager applied last time and dropped now go, unless someone else holds them.
    const previous = entries.find((e) => e.manager === manager && e.operation === "Apply" && (e.subresource ?? "") === (opts.subresource ?? ""));
    if (previous) {
      const others = new Set(entries.filter((e) => e !== previous).flatMap((e) => [...fromFieldsV1(e.fieldsV1)]));
      merged = structuredClone(merged);
      for (const p of fromFieldsV1(previous.fieldsV1)) {
        if (!applied.has(p) && !others.has(p)) removePath(merged, p.split(SEP));
      }
    }
    merged.apiVersion = groupVersion(info);
    merged.kind = info.kind;
    if (patch.metadata?.resourceVersion) merged.metadata.resourceVersion = patch.metadata.resourceVersion;
    else delete merged.metadata.resourceVersion;
    return merged;
  }, { ...opts, allowCreate: true, applied }).catch((err) => {
    if (err instanceof ApiError && err.reason === "NotFound" && opts.subresource) throw notFound(info.resource, info.group, name);
    throw err;
  });
}
