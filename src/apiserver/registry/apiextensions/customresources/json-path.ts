/**
 * The simple JSONPaths a CRD names fields by (`.spec.replicas`,
 * `.status.conditions[0].type`), for printer columns and scale.
 */

/** The value at path, or undefined; an empty path is the object itself. */
export function valueAt(obj: unknown, path: string | undefined): unknown {
  let cur: unknown = obj;
  for (const part of (path ?? "").replace(/^\./, "").split(".")) {
    if (!part) continue;
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part);
    if (!m || cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[m[1]!];
    if (m[2] !== undefined) cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
  }
  return cur;
}
