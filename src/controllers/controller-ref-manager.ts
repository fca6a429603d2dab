/**
 * Adoption and release by ControllerRef, as upstream's ControllerRefManager
 * (pkg/controller/controller_ref_manager.go): a controller claims the
 * dependents (pods, or a Deployment's ReplicaSets) that its selector matches.
 *
 * - owned by it and still matching: kept;
 * - owned by it and no longer matching: released (its ownerReference removed),
 *   unless the controller is being deleted (the garbage collector decides then);
 * - owned by another controller: left alone;
 * - an orphan that matches: adopted (a controller ownerReference with
 *   blockOwnerDeletion added), after a fresh read of the controller shows it is
 *   the same object (UID) and not being deleted, so that a controller deleted or
 *   recreated under the same name never takes what is not its own.
 *
 * Both writes are strategic merge patches of metadata.ownerReferences (merged
 * by uid), so they never overwrite what others change on the object meanwhile.
 */
import { labelSelectorRequirements, matchesLabels, type Requirement } from "../api/selectors.js";
import type { Client, Informer, KubeObject, ResourceRef, WorkQueue } from "../client/index.js";
import { controllerOf, controllerRef, keyOf } from "./controller.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";

/** A controller by its selector: a LabelSelector, or a ReplicationController's plain map. */
export interface Selecting { spec?: { selector?: LabelSelector | Record<string, string> } }

/** The controller's own kind, as its ownerReferences name it. */
export interface ControllerKind { apiVersion: string; kind: string; resource: ResourceRef }

export interface ClaimOptions<T extends KubeObject> {
  client: Client;
  /** The controller, as the cache has it. */
  controller: KubeObject;
  kind: ControllerKind;
  /** What is claimed: pods, or replicasets. */
  dependents: ResourceRef;
  /** The controller's selector; an empty one matches nothing, as upstream. */
  selector: Requirement[];
  /** More than the selector for membership (a StatefulSet's pods are named after it). */
  filter?: (o: T) => boolean;
}

/** A controller's spec.selector as requirements: a LabelSelector, or a ReplicationController's plain map. */
export function selectorOf(controller: KubeObject & Selecting): Requirement[] {
  const sel = controller.spec?.selector;
  if (!sel) return [];
  if (isLabelSelector(sel)) return labelSelectorRequirements(sel);
  return labelSelectorRequirements({ matchLabels: sel });
}

const isLabelSelector = (sel: LabelSelector | Record<string, string>): sel is LabelSelector => sel.matchLabels !== undefined || sel.matchExpressions !== undefined;

const matches = (selector: Requirement[], o: KubeObject) => selector.length > 0 && matchesLabels(selector, o.metadata.labels);

/**
 * Claims `candidates` (the namespace's dependents from the cache) for the
 * controller: returns those it owns afterwards, the adopted ones included with
 * their new ownerReference. Throws when an adoption fails for any reason but
 * the dependent being gone (the caller's sync is retried, as upstream).
 */
export async function claimObjects<T extends KubeObject>(candidates: T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { controller } = opts;
  const uid = controller.metadata.uid;
  const deleting = Boolean(controller.metadata.deletionTimestamp);
  const member = (o: T) => matches(opts.selector, o) && (opts.filter?.(o) ?? true);
  const claimed: T[] = [];
  let recheck: Promise<void> | undefined;
  for (const o of candidates) {
    const ref = controllerOf(o);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (member(o)) { claimed.push(o); continue; }
      if (deleting) continue;
      await release(opts, o);
      continue;
    }
    if (deleting || o.metadata.deletionTimestamp || !member(o)) continue;
    if (o.metadata.namespace !== controller.metadata.namespace) continue;
    // One fresh read of the controller for all adoptions of this claim (upstream's RecheckDeletionTimestamp).
    recheck ??= canAdopt(opts);
    await recheck;
    const adopted = await adopt(opts, o);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

/** The controller, read now from the server, is the one in the cache and is not being deleted. */
async function canAdopt<T extends KubeObject>(opts: ClaimOptions<T>): Promise<void> {
  const { controller, kind } = opts;
  const ns = controller.metadata.namespace;
  const name = controller.metadata.name!;
  const fresh = await opts.client.get(kind.resource, ns, name);
  if (fresh.metadata.uid !== controller.metadata.uid) {
    throw new Error(`original ${kind.kind} ${ns}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${controller.metadata.uid}`);
  }
  if (fresh.metadata.deletionTimestamp) throw new Error(`${kind.kind} ${ns}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}

/** Adds the controller's ownerReference; undefined when the dependent is gone meanwhile. */
async function adopt<T extends KubeObject>(opts: ClaimOptions<T>, o: T): Promise<T | undefined> {
  const ref = controllerRef(opts.controller, opts.kind.apiVersion, opts.kind.kind);
  // The dependent's uid in the patch ties it to the object the cache showed, not a namesake made since.
  const patch = { metadata: { ownerReferences: [ref], uid: o.metadata.uid } };
  try {
    return await opts.client.patch<T>(opts.dependents, o.metadata.namespace, o.metadata.name!, patch, "strategic");
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw new Error(`adopt ${opts.dependents.resource} ${keyOf(o)} for ${opts.kind.kind} ${keyOf(opts.controller)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Removes the controller's ownerReference; a dependent gone or being replaced is no error. */
async function release<T extends KubeObject>(opts: ClaimOptions<T>, o: T): Promise<void> {
  const patch = { metadata: { ownerReferences: [{ $patch: "delete", uid: opts.controller.metadata.uid }], uid: o.metadata.uid } };
  try {
    await opts.client.patch(opts.dependents, o.metadata.namespace, o.metadata.name!, patch, "strategic");
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404 || code === 422) return;
    throw new Error(`release ${opts.dependents.resource} ${keyOf(o)} from ${opts.kind.kind} ${keyOf(opts.controller)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Enqueues, for an orphan dependent that appears or whose labels or owners
 * change, every controller of the kind whose selector matches it, so that one
 * of them adopts it (upstream's addPod/updatePod for orphans). Dependents with
 * a controller are left to the caller's own handlers.
 */
export function enqueueMatchingControllers<T extends KubeObject, C extends KubeObject & Selecting>(
  dependents: Informer<T>, controllers: Informer<C>, queue: WorkQueue, filter?: (controller: C, o: T) => boolean): void {
  const enqueue = (o: T) => {
    if (controllerOf(o)) return;
    for (const c of controllers.list(o.metadata.namespace)) {
      if (c.metadata.deletionTimestamp) continue;
      if (matches(selectorOf(c), o) && (filter?.(c, o) ?? true)) queue.add(keyOf(c));
    }
  };
  dependents.addEventHandler({
    add: enqueue,
    update: (old, cur) => {
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
      if (labelsChanged || controllerOf(old)?.uid !== controllerOf(cur)?.uid) enqueue(cur);
    },
  });
}
