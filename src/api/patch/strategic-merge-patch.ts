/**
 * Strategic merge patch, as upstream's apimachinery/pkg/util/strategicpatch
 * applies it to built-in kinds: lists with a merge key are merged element by
 * element, lists of primitives with the merge strategy are merged as sets, and
 * every other list is replaced. Directives: $patch (replace, merge, delete),
 * $setElementOrder/<list>, $deleteFromPrimitiveList/<list>, $retainKeys.
 */
import { ApiError } from "../errors.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** How a list field merges: by a key of its elements, as a set of primitives, or not at all. */
export type ListStrategy = { mergeKey: string; retainKeys?: boolean } | { set: true } | undefined;

const byName = { mergeKey: "name" };

/** The patch strategies of the common types, chosen by field name and the field that holds it. */
export function listStrategy(path: string[], field: string): ListStrategy {
  const parent = path[path.length - 1];
  switch (field) {
    case "containers": case "initContainers": case "ephemeralContainers": case "env":
    case "imagePullSecrets": case "schedulingGates": case "allocatedResourcesStatus":
      return byName;
    case "secrets": return parent === undefined ? byName : undefined; // ServiceAccount.secrets
    case "volumes": case "resourceClaims": return { mergeKey: "name", retainKeys: true };
    case "volumeMounts": return { mergeKey: "mountPath" };
    case "volumeDevices": return { mergeKey: "devicePath" };
    case "ports":
      // Container ports merge by containerPort; Service ports by port.
      if (path.includes("containers") || path.includes("initContainers") || path.includes("ephemeralContainers")) return { mergeKey: "containerPort" };
      if (parent === "spec") return { mergeKey: "port" };
      return undefined;
    case "conditions": return { mergeKey: "type" };
    case "addresses": return parent === "status" ? { mergeKey: "type" } : undefined;
    case "hostAliases": case "podIPs": case "hostIPs": return { mergeKey: "ip" };
    case "topologySpreadConstraints": return { mergeKey: "topologyKey" };
    case "ownerReferences": return { mergeKey: "uid" };
    case "finalizers": case "podCIDRs": return { set: true };
    default: return undefined;
  }
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === "object" && !Array.isArray(v);

function invalidPatch(message: string): ApiError {
  return new ApiError(422, "Invalid", `the server rejected our request due to an error in our request: ${message}`);
}

export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new ApiError(400, "BadRequest", "strategic merge patch must be a JSON object");
  return mergeMap(isObject(original) ? structuredClone(original) : {}, patch, []);
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject | undefined {
  const directive = patch["$patch"];
  if (directive === "delete") return undefined;
  if (directive === "replace") {
    const copy = { ...patch };
    delete copy["$patch"];
    return stripDirectives(copy) as JsonObject;
  }
  if (directive !== undefined && directive !== "merge") throw invalidPatch(`unknown patch type: ${String(directive)}`);

  const result: JsonObject = { ...original };
  const retain = patch["$retainKeys"];
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys") continue;
    if (key.startsWith("$setElementOrder/") || key.startsWith("$deleteFromPrimitiveList/")) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = result[key];
    if (Array.isArray(value)) {
      const merged = mergeList(Array.isArray(current) ? current : [], value, [...path], key);
      result[key] = merged;
    } else if (isObject(value)) {
      const merged = mergeMap(isObject(current) ? current : {}, value, [...path, key]);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      const drop = new Set((Array.isArray(value) ? value : []).map((v) => JSON.stringify(v)));
      if (Array.isArray(result[field])) result[field] = (result[field] as Json[]).filter((v) => !drop.has(JSON.stringify(v)));
    } else if (key.startsWith("$setElementOrder/")) {
      const field = key.slice("$setElementOrder/".length);
      if (Array.isArray(result[field]) && Array.isArray(value)) {
        result[field] = reorder(result[field] as Json[], value, listStrategy(path, field));
      }
    }
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

function reorder(list: Json[], order: Json[], strategy: ListStrategy): Json[] {
  const keyOf = (v: Json) => (strategy && "mergeKey" in strategy && isObject(v) ? JSON.stringify(v[strategy.mergeKey]) : JSON.stringify(v));
  const rank = new Map(order.map((o, i) => [keyOf(o), i]));
  return list
    .map((v, i) => ({ v, i, r: rank.get(keyOf(v)) }))
    .sort((a, b) => (a.r ?? Number.MAX_SAFE_INTEGER) - (b.r ?? Number.MAX_SAFE_INTEGER) || a.i - b.i)
    .map((x) => x.v);
}

function mergeList(original: Json[], patch: Json[], path: string[], field: string): Json[] {
  const strategy = listStrategy(path, field);
  if (patch.some((p) => isObject(p) && p["$patch"] === "replace")) {
    return patch.filter((p) => !(isObject(p) && p["$patch"] === "replace")).map(stripDirectives);
  }
  if (!strategy) return patch.map(stripDirectives);
  if ("set" in strategy) {
    const out = [...original];
    const seen = new Set(out.map((v) => JSON.stringify(v)));
    for (const v of patch) if (!seen.has(JSON.stringify(v))) { out.push(v); seen.add(JSON.stringify(v)); }
    return out;
  }
  const key = strategy.mergeKey;
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw invalidPatch(`unable to find api field in struct for the list ${field}: elements must be objects`);
    if (!(key in item)) throw invalidPatch(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const id = JSON.stringify(item[key]);
    const idx = out.findIndex((o) => isObject(o) && JSON.stringify(o[key]) === id);
    if (item["$patch"] === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    const elementPath = [...path, field];
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as JsonObject, item, elementPath);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      const fresh = mergeMap({}, item, elementPath);
      if (fresh !== undefined) out.push(fresh);
    }
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith("$")) continue;
    if (val === null) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}
