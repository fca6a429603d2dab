/** Pure helpers of the deployment controller: template hashing, revisions, surge and unavailability. */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../api/json-equal.js";
import type { KubeObject } from "../../client/index.js";
import type { DeploymentSpec, DeploymentStatus, ReplicaSetSpec } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";

/** What the sizing helpers read of a Deployment. */
export interface DeploymentSize { spec?: Pick<DeploymentSpec, "replicas" | "strategy">; status?: Pick<DeploymentStatus, "replicas"> }
/** What they read of a ReplicaSet. */
export type ReplicaSetSize = KubeObject & { spec?: Pick<ReplicaSetSpec, "replicas"> };

export const REVISION = "deployment.kubernetes.io/revision";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const HASH_LABEL = "pod-template-hash";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const CHANGE_CAUSE = "kubernetes.io/change-cause";

/** The Deployment's annotations that are its own, never copied to its ReplicaSets (upstream's annotationsToSkip). */
const NOT_COPIED = new Set(["kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"]);

/**
 * The annotations the new ReplicaSet should have, as upstream's
 * SetNewReplicaSetAnnotations: the Deployment's (kubernetes.io/change-cause
 * among them, what `kubectl rollout history` shows) copied over, and the new
 * revision, the one it replaces appended to revision-history when a rollback
 * makes an old set the newest again. Undefined when nothing changes.
 */
export function newReplicaSetAnnotations(d: KubeObject, rs: KubeObject, revision: bigint): Record<string, string> | undefined {
  const current = rs.metadata.annotations ?? {};
  const next = { ...current };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) next[k] = v;
  const old = current[REVISION];
  if (parseRevision(old) < revision) {
    if (old) next[REVISION_HISTORY] = current[REVISION_HISTORY] ? `${current[REVISION_HISTORY]},${old}` : old;
    next[REVISION] = String(revision);
  }
  return Object.keys(next).length === Object.keys(current).length && Object.entries(next).every(([k, v]) => current[k] === v) ? undefined : next;
}

/** The Deployment's annotations a new ReplicaSet starts with. */
export function copiedAnnotations(d: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
}

const SAFE = "bcdfghjklmnpqrstvwxz2456789";

/**
 * A stable hash of a pod template, shaped as upstream's: a 32-bit hash whose
 * decimal digits are each mapped into the alphabet of generated names
 * (rand.SafeEncodeString(fmt.Sprint(hash))), so ReplicaSet names read
 * `<deployment>-7c5ddbdf54` as on any cluster.
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  const digest = createHash("sha256").update(canonicalJson(template) + (collisionCount ? `/${collisionCount}` : "")).digest();
  return [...String(digest.readUInt32BE(0))].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join("");
}

/** The template without the hash label, for comparing a ReplicaSet's with the Deployment's. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/**
 * A ReplicaSet's revision. Upstream's are int64: a bigint here, since a
 * revision past 2^53 (a client may set any) would lose its last digits as a
 * number. One that does not parse counts as 0.
 */
export function revisionOf(rs: KubeObject): bigint {
  return parseRevision(rs.metadata.annotations?.[REVISION]);
}

function parseRevision(text: string | undefined): bigint {
  return text && /^-?\d+$/.test(text) ? BigInt(text) : 0n;
}

/** Orders ReplicaSets by revision, oldest first. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const ra = revisionOf(a), rb = revisionOf(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** An IntOrString against a total: percentages round up for surge and down for unavailability. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const pct = Number(v.replace("%", ""));
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function surgeAndUnavailable(d: DeploymentSize): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type !== "RollingUpdate") return { maxSurge: 0, maxUnavailable: 0 };
  const ru = d.spec.strategy.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? "25%", replicas, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? "25%", replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

const specReplicas = (rs: ReplicaSetSize): number => rs.spec?.replicas ?? 0;
const created = (rs: ReplicaSetSize): number => Date.parse(rs.metadata.creationTimestamp ?? "") || 0;

/**
 * Upstream's proportional scaling: when a Deployment is resized while several
 * ReplicaSets have replicas (mid-rollout), the difference is shared among them
 * in proportion to their sizes (as measured against the max-replicas each was
 * last scaled for), the largest first; the leftover goes to the largest.
 * Returns the new size of each active set, by name.
 */
export function proportionalSizes(d: DeploymentSize, active: ReplicaSetSize[]): Map<string, number> {
  const replicas = d.spec?.replicas ?? 1;
  const allowed = replicas > 0 ? replicas + surgeAndUnavailable(d).maxSurge : 0;
  const current = active.reduce((n, rs) => n + specReplicas(rs), 0);
  const toAdd = allowed - current;
  // Scaling up favours newer sets among equals, scaling down older ones.
  const sorted = [...active].sort((a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? created(b) - created(a) : created(a) - created(b)));
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    const proportion = toAdd === 0 ? 0 : proportionOf(rs, d, toAdd, added);
    sizes.set(rs.metadata.name!, specReplicas(rs) + proportion);
    added += proportion;
  }
  if (sorted.length && toAdd !== 0) {
    const largest = sorted[0]!.metadata.name!;
    sizes.set(largest, Math.max(0, sizes.get(largest)! + toAdd - added));
  }
  return sizes;
}

function proportionOf(rs: ReplicaSetSize, d: DeploymentSize, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === added) return 0;
  const allowed = toAdd - added;
  const fraction = fractionOf(rs, d);
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** How many replicas the set gains (or loses) at the Deployment's new size, rounded half away from zero. */
function fractionOf(rs: ReplicaSetSize, d: DeploymentSize): number {
  const replicas = d.spec?.replicas ?? 1;
  if (replicas === 0) return -specReplicas(rs);
  const maxNow = replicas + surgeAndUnavailable(d).maxSurge;
  let maxBefore = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? 0) || 0;
  if (!maxBefore) maxBefore = d.status?.replicas ?? 0;
  if (!maxBefore) return 0;
  const size = (specReplicas(rs) * maxNow) / maxBefore;
  return Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
}
