/**
 * An object of one served version of a resource as another served version
 * shows it, through the storage version (upstream's scheme conversion), for
 * webhooks that asked for a resource in another version (matchPolicy
 * Equivalent). An object of another kind (a subresource's Scale or
 * Eviction) is returned as it is.
 */
import { groupVersion, type ResourceInfo } from "../../api/resources.js";
import type { Obj } from "./object-store.js";
import { strategyFor } from "./strategies.js";

export function convertVersion(obj: Obj, from: ResourceInfo, to: ResourceInfo): Obj {
  const copy = structuredClone(obj);
  if (obj.kind !== undefined && obj.kind !== from.kind) return copy;
  const fromConversion = strategyFor(from).conversions?.[from.version];
  const stored = fromConversion ? fromConversion.toStorage(copy) : copy;
  const toConversion = strategyFor(to).conversions?.[to.version];
  const out = toConversion ? toConversion.fromStorage(stored) : stored;
  out.apiVersion = groupVersion(to);
  out.kind = to.kind;
  return out;
}
