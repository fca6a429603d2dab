/** Pure helpers of the deployment controller: template hashing, revisions, surge and unavailability. */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../api/json-equal.js";
import type { Obj } from "../controller.js";

export const REVISION = "deployment.kubernetes.io/revision";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const HASH_LABEL = "pod-template-hash";

const SAFE = "bcdfghjklmnpqrstvwxz2456789";

/** A short, stable hash of a pod template, in the alphabet upstream uses for names. */
export function templateHash(template: unknown, collisionCount = 0): string {
  const digest = createHash("sha256").update(canonicalJson(template) + (collisionCount ? `/${collisionCount}` : "")).digest();
  let n = digest.readUInt32BE(0);
  let out = "";
  for (let i = 0; i < 10 && (n > 0 || out.length < 5); i++) {
    out += SAFE[n % SAFE.length];
    n = Math.floor(n / SAFE.length);
  }
  return out;
}

/** The template without the hash label, for comparing a ReplicaSet's with the Deployment's. */
export function templateWithoutHash(template: Obj | undefined): Obj {
  const t = structuredClone(template ?? {}) as Obj;
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

export function revisionOf(rs: Obj): number {
  return Number((rs.metadata.annotations as Record<string, string> | undefined)?.[REVISION] ?? 0) || 0;
}

/** An IntOrString against a total: percentages round up for surge and down for unavailability. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const pct = Number(v.replace("%", ""));
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function surgeAndUnavailable(d: Obj): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type !== "RollingUpdate") return { maxSurge: 0, maxUnavailable: 0 };
  const ru = d.spec.strategy.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? "25%", replicas, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? "25%", replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}
