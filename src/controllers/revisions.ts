/** ControllerRevisions: the template history that StatefulSets and DaemonSets keep, as upstream. */
import { createHash } from "node:crypto";
import { canonicalJson } from "../api/json-equal.js";
import { Resources, type Client, type KubeObject } from "../client/index.js";
import { controllerRef } from "./controller.js";
import type { ControllerRevision } from "kubernetes-types/apps/v1.js";
import type { PodTemplateSpec } from "kubernetes-types/core/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";

/** A StatefulSet or DaemonSet, by what its revisions record. */
export type RevisionOwner = KubeObject & { spec?: { template: PodTemplateSpec; selector?: LabelSelector } };

export const REVISION_HASH_LABEL = "controller-revision-hash";

/** A short hash of a template, as the revision's name suffix and the pods' controller-revision-hash. */
export function revisionHash(template: unknown): string {
  return createHash("sha256").update(canonicalJson(template)).digest("hex").slice(0, 10);
}

/**
 * A revision's data as upstream's controllers write it (their getPatch):
 * the template as Go encodes it, inside `{"spec":{"template":{"$patch":"replace",...}}}`
 * with every map's keys sorted. Clients compare it byte for byte with the
 * same encoding of the owner (upstream's daemon.Match), so the fields Go always
 * writes are written here too: the template's `creationTimestamp: null` and
 * each container's `resources`.
 */
export function revisionData(template: PodTemplateSpec): unknown {
  const t: Omit<PodTemplateSpec, "metadata"> & { metadata: Record<string, unknown> } = { ...structuredClone(template), metadata: { creationTimestamp: null, ...(template.metadata ?? {}) } };
  for (const list of [t.spec?.containers, t.spec?.initContainers, t.spec?.ephemeralContainers]) {
    for (const c of list ?? []) c.resources ??= {};
  }
  return JSON.parse(canonicalJson({ spec: { template: { ...t, $patch: "replace" } } }));
}

/** Makes sure a ControllerRevision exists for the owner's current template; returns its name. */
export async function ensureRevision(client: Client, owner: RevisionOwner, kind: string, existing: ControllerRevision[]): Promise<string> {
  // A stored StatefulSet or DaemonSet has a spec (validation requires its template).
  const spec = owner.spec!;
  const hash = revisionHash(spec.template);
  const name = `${owner.metadata.name}-${hash}`;
  if (existing.some((r) => r.metadata?.name === name)) return name;
  const revision = Math.max(0, ...existing.map((r) => Number(r.revision ?? 0))) + 1;
  await client.create(Resources.controllerrevisions, owner.metadata.namespace, {
    metadata: { name, labels: { ...(spec.selector?.matchLabels ?? {}), [REVISION_HASH_LABEL]: hash }, ownerReferences: [controllerRef(owner, "apps/v1", kind)] },
    data: revisionData(spec.template),
    revision,
  }).catch((err) => { if ((err as { code?: number }).code !== 409) throw err; });
  return name;
}
