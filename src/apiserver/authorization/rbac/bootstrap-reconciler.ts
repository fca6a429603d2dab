/**
 * Writes the bootstrap policy at server start, as upstream's RBAC post-start
 * hook (pkg/registry/rbac/reconciliation): what is missing is created; what
 * exists and is not annotated autoupdate "false" gets the expected labels,
 * annotations, rules, aggregation selectors and subjects added (a union: it
 * never removes). A binding whose roleRef differs is recreated.
 *
 * Idempotent, and safe with several servers at once: an object changes only
 * when something is missing, and each write is a compare-and-swap retried on
 * conflict (a lost create race becomes an update).
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding, RoleRef, Subject } from "kubernetes-types/rbac/v1.js";
import type { LabelSelector } from "kubernetes-types/meta/v1.js";
import type { Kube, WritableObjectMeta } from "../../../api/kube-object.js";
import { isAlreadyExists, isConflict, isNotFound } from "../../../api/errors.js";
import { jsonEqual } from "../../../api/json-equal.js";
import type { ResourceInfo } from "../../../api/resources.js";
import type { ResourceCatalog } from "../../catalog.js";
import type { Obj, ObjectStore } from "../../registry/object-store.js";
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from "./bootstrap-policy.js";
import { covers } from "./rule-matching.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";

export interface BootstrapPolicy {
  clusterRoles: ClusterRole[];
  clusterRoleBindings: ClusterRoleBinding[];
  roles: Role[];
  roleBindings: RoleBinding[];
}

export function defaultBootstrapPolicy(): BootstrapPolicy {
  return { clusterRoles: bootstrapClusterRoles(), clusterRoleBindings: bootstrapClusterRoleBindings(), roles: bootstrapRoles(), roleBindings: bootstrapRoleBindings() };
}

export interface BootstrapReconcilerOptions {
  objects: ObjectStore;
  catalog: ResourceCatalog;
  /** Defaults to upstream's v1.32 policy plus Skiff's roles. */
  policy?: BootstrapPolicy;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface ReconcileSummary { created: string[]; updated: string[]; recreated: string[]; protected: string[] }

type RbacObj = ClusterRole | ClusterRoleBinding | Role | RoleBinding;
type Op = "none" | "update" | "recreate";

const ATTEMPTS = 5;

export class BootstrapReconciler {
  private readonly policy: BootstrapPolicy;

  constructor(private readonly options: BootstrapReconcilerOptions) {
    this.policy = options.policy ?? defaultBootstrapPolicy();
  }

  /** Reconciles every object; an object that fails is logged and reported by a throw after the rest were tried. */
  async reconcile(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { created: [], updated: [], recreated: [], protected: [] };
    const failures: string[] = [];
    const run = async (resource: string, objs: RbacObj[], plan: (existing: Obj, expected: Obj) => { op: Op; obj: Obj }) => {
      const info = this.info(resource);
      for (const expected of objs) {
        const key = `${resource}/${expected.metadata?.namespace ? `${expected.metadata.namespace}/` : ""}${expected.metadata?.name}`;
        try {
          const outcome = await this.reconcileOne(info, expected as Obj, plan);
          if (outcome !== "unchanged") summary[outcome].push(key);
          if (outcome !== "unchanged" && outcome !== "protected") this.options.log?.("rbac bootstrap: reconciled", { key, outcome });
        } catch (err) {
          this.options.log?.("rbac bootstrap: reconcile failed", { key, err: String(err) });
          failures.push(`${key}: ${String(err)}`);
        }
      }
    };
    // Roles before bindings, so that no binding points at a role not yet there.
    await run("clusterroles", this.policy.clusterRoles, planRole);
    await run("clusterrolebindings", this.policy.clusterRoleBindings, planBinding);
    await run("roles", this.policy.roles, planRole);
    await run("rolebindings", this.policy.roleBindings, planBinding);
    if (failures.length) throw new Error(`rbac bootstrap: ${failures.length} objects failed: ${failures.join("; ")}`);
    return summary;
  }

  /** As upstream's RoleModifier: a namespaced role's namespace (kube-system, kube-public) is created when missing. */
  private async ensureNamespace(name: string): Promise<void> {
    const info = this.options.catalog.lookup("", "v1", "namespaces");
    if (!info) return;
    try {
      await this.options.objects.get(info, undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.options.objects.create(info, undefined, { metadata: { name } }).catch((e: unknown) => { if (!isAlreadyExists(e)) throw e; });
    }
  }

  private info(resource: string): ResourceInfo {
    const info = this.options.catalog.lookup(RBAC_GROUP, "v1", resource);
    if (!info) throw new Error(`rbac bootstrap: ${resource}.${RBAC_GROUP}/v1 is not in the resource catalog`);
    return info;
  }

  private async reconcileOne(info: ResourceInfo, expected: Obj, plan: (existing: Obj, expected: Obj) => { op: Op; obj: Obj }): Promise<"created" | "updated" | "recreated" | "protected" | "unchanged"> {
    const ns: string | undefined = expected.metadata?.namespace;
    const name = expected.metadata.name ?? "";
    const { objects } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        let existing: Obj | undefined;
        try {
          existing = await objects.get(info, ns, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        if (!existing) {
          if (ns) await this.ensureNamespace(ns);
          await objects.create(info, ns, structuredClone(expected));
          return "created";
        }
        if (existing.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === "false") return "protected";
        const { op, obj } = plan(existing, expected);
        if (op === "none") return "unchanged";
        if (op === "recreate") {
          await objects.delete(info, ns, name, { preconditions: { uid: existing.metadata.uid, resourceVersion: existing.metadata.resourceVersion } });
          const fresh = { ...obj, metadata: { ...obj.metadata } };
          for (const k of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"] as const) delete fresh.metadata[k];
          await objects.create(info, ns, fresh);
          return "recreated";
        }
        // Pinned to the resourceVersion read: a concurrent writer makes this a Conflict, and the plan is made again.
        await objects.update(info, ns, name, obj);
        return "updated";
      } catch (err) {
        if (attempt < ATTEMPTS && (isConflict(err) || isAlreadyExists(err) || isNotFound(err))) continue;
        throw err;
      }
    }
  }
}

/** Expected labels and annotations added where absent; existing values win, as upstream's merge. */
function mergedMetadata(existing: Obj, expected: Obj): WritableObjectMeta {
  const m = { ...existing.metadata };
  for (const k of ["labels", "annotations"] as const) {
    const merged = { ...(expected.metadata[k] ?? {}), ...(existing.metadata[k] ?? {}) };
    if (Object.keys(merged).length) m[k] = merged;
  }
  return m;
}

/** Missing rules (broken down, as upstream's computeReconciledRole appends them) and missing aggregation selectors. */
export function planRole(stored: Obj, wanted: Obj): { op: Op; obj: Obj } {
  // A Role is a ClusterRole without aggregationRule.
  const existing = stored as Kube<ClusterRole>;
  const expected = wanted as Kube<ClusterRole>;
  const obj: Kube<ClusterRole> = { ...existing, metadata: mergedMetadata(existing, expected) };
  const { missing } = covers(existing.rules ?? [], expected.rules ?? []);
  if (missing.length) obj.rules = [...(existing.rules ?? []), ...missing];
  if (expected.aggregationRule) {
    const have: LabelSelector[] = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const add = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !have.some((h) => jsonEqual(h, s)));
    if (add.length || !existing.aggregationRule) obj.aggregationRule = { ...(existing.aggregationRule ?? {}), clusterRoleSelectors: [...have, ...add] };
  }
  return { op: jsonEqual(obj, existing) ? "none" : "update", obj };
}

const sameSubject = (a: Subject, b: Subject) => a.kind === b.kind && a.name === b.name && (a.namespace ?? "") === (b.namespace ?? "");

/** Missing subjects added; a different roleRef means recreating the binding (roleRef cannot be updated). */
export function planBinding(stored: Obj, wanted: Obj): { op: Op; obj: Obj } {
  // A ClusterRoleBinding has a RoleBinding's fields.
  const existing = stored as Kube<RoleBinding>;
  const expected = wanted as Kube<RoleBinding>;
  const obj: Kube<RoleBinding> = { ...existing, metadata: mergedMetadata(existing, expected) };
  const have = existing.subjects ?? [];
  const add = (expected.subjects ?? []).filter((s) => !have.some((h) => sameSubject(h, s)));
  if (add.length) obj.subjects = [...have, ...add];
  const ref: Partial<RoleRef> = existing.roleRef ?? {};
  if (ref.kind !== expected.roleRef.kind || ref.name !== expected.roleRef.name || (ref.apiGroup ?? RBAC_GROUP) !== expected.roleRef.apiGroup) {
    obj.roleRef = expected.roleRef;
    return { op: "recreate", obj };
  }
  return { op: jsonEqual(obj, existing) ? "none" : "update", obj };
}
