/**
 * Upstream's tolerations.MergeTolerations: two lists of tolerations as one,
 * keeping a toleration only when no other tolerates everything it does
 * (of two equal ones, the first stays).
 */
import type { Toleration } from "kubernetes-types/core/v1.js";
import { jsonEqual } from "./json-equal.js";

/** Whether ss tolerates every taint that t tolerates. */
export function toleratesSuperset(ss: Toleration, t: Toleration): boolean {
  if (jsonEqual(ss, t)) return true;
  // An empty key with Exists matches every key and value.
  if ((t.key ?? "") !== (ss.key ?? "") && ((ss.key ?? "") !== "" || ss.operator !== "Exists")) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? "") !== (ss.effect ?? "") && (ss.effect ?? "") !== "") return false;
  if (ss.effect === "NoExecute" && ss.tolerationSeconds !== undefined && ss.tolerationSeconds !== null) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null || t.tolerationSeconds > ss.tolerationSeconds) return false;
  }
  switch (ss.operator ?? "") {
    case "Equal": case "": return t.operator === "Equal" && (t.value ?? "") === (ss.value ?? "");
    case "Exists": return true;
    default: return false;
  }
}

export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((kept) => toleratesSuperset(kept, t))) return;
    if (all.slice(i + 1).some((later) => !jsonEqual(t, later) && toleratesSuperset(later, t))) return;
    merged.push(t);
  });
  return merged;
}
