/**
 * What the RBAC authorizer reads: Roles, ClusterRoles and their bindings as
 * they are now. RbacCache fills one from list+watch; tests fill one by hand.
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-types/rbac/v1.js";

export interface PolicySource {
  /** Bumped on every change, so that readers can keep derived indexes until it moves. */
  readonly generation: number;
  getRole(namespace: string, name: string): Role | undefined;
  getClusterRole(name: string): ClusterRole | undefined;
  /** Sorted by name, stable until generation moves. */
  listRoleBindings(namespace: string): readonly RoleBinding[];
  /** Sorted by name, stable until generation moves. */
  listClusterRoleBindings(): readonly ClusterRoleBinding[];
  listClusterRoles(): readonly ClusterRole[];
}

export type RbacKind = "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding";
export type RbacObject = Role | ClusterRole | RoleBinding | ClusterRoleBinding;

const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }) => {
  const x = a.metadata?.name ?? "", y = b.metadata?.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
};

/** An in-memory PolicySource; objects given to it are kept as they are and must not be mutated after. */
export class InMemoryPolicy implements PolicySource {
  generation = 0;
  private readonly roles = new Map<string, Role>();
  private readonly clusterRoles = new Map<string, ClusterRole>();
  private readonly roleBindings = new Map<string, Map<string, RoleBinding>>();
  private readonly clusterRoleBindings = new Map<string, ClusterRoleBinding>();
  private sortedAt = -1;
  private sortedRoleBindings = new Map<string, RoleBinding[]>();
  private sortedClusterRoleBindings: ClusterRoleBinding[] = [];
  private sortedClusterRoles: ClusterRole[] = [];
  private readonly listeners = new Set<(kind: RbacKind) => void>();

  constructor(objects: { roles?: Role[]; clusterRoles?: ClusterRole[]; roleBindings?: RoleBinding[]; clusterRoleBindings?: ClusterRoleBinding[] } = {}) {
    for (const o of objects.roles ?? []) this.upsert("Role", o);
    for (const o of objects.clusterRoles ?? []) this.upsert("ClusterRole", o);
    for (const o of objects.roleBindings ?? []) this.upsert("RoleBinding", o);
    for (const o of objects.clusterRoleBindings ?? []) this.upsert("ClusterRoleBinding", o);
  }

  /** Called after every change with the kind that changed. */
  onChange(listener: (kind: RbacKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  upsert(kind: RbacKind, obj: RbacObject): void {
    const name = obj.metadata?.name ?? "";
    const ns = obj.metadata?.namespace ?? "";
    switch (kind) {
      case "Role": this.roles.set(`${ns}/${name}`, obj as Role); break;
      case "ClusterRole": this.clusterRoles.set(name, obj as ClusterRole); break;
      case "RoleBinding": {
        let m = this.roleBindings.get(ns);
        if (!m) this.roleBindings.set(ns, m = new Map());
        m.set(name, obj as RoleBinding);
        break;
      }
      case "ClusterRoleBinding": this.clusterRoleBindings.set(name, obj as ClusterRoleBinding); break;
    }
    this.changed(kind);
  }

  remove(kind: RbacKind, namespace: string | undefined, name: string): void {
    const ns = namespace ?? "";
    switch (kind) {
      case "Role": this.roles.delete(`${ns}/${name}`); break;
      case "ClusterRole": this.clusterRoles.delete(name); break;
      case "RoleBinding": this.roleBindings.get(ns)?.delete(name); break;
      case "ClusterRoleBinding": this.clusterRoleBindings.delete(name); break;
    }
    this.changed(kind);
  }

  /** Replaces every object of a kind at once (a relist). */
  replace(kind: RbacKind, objects: RbacObject[]): void {
    switch (kind) {
      case "Role": this.roles.clear(); break;
      case "ClusterRole": this.clusterRoles.clear(); break;
      case "RoleBinding": this.roleBindings.clear(); break;
      case "ClusterRoleBinding": this.clusterRoleBindings.clear(); break;
    }
    const quiet = [...this.listeners];
    this.listeners.clear();
    try {
      for (const o of objects) this.upsert(kind, o);
    } finally {
      for (const l of quiet) this.listeners.add(l);
    }
    this.changed(kind);
  }

  private changed(kind: RbacKind): void {
    this.generation++;
    for (const l of this.listeners) l(kind);
  }

  private sort(): void {
    if (this.sortedAt === this.generation) return;
    this.sortedRoleBindings = new Map([...this.roleBindings].map(([ns, m]) => [ns, [...m.values()].sort(byName)]));
    this.sortedClusterRoleBindings = [...this.clusterRoleBindings.values()].sort(byName);
    this.sortedClusterRoles = [...this.clusterRoles.values()].sort(byName);
    this.sortedAt = this.generation;
  }

  getRole(namespace: string, name: string): Role | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }

  getClusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }

  listRoleBindings(namespace: string): readonly RoleBinding[] {
    this.sort();
    return this.sortedRoleBindings.get(namespace) ?? [];
  }

  listClusterRoleBindings(): readonly ClusterRoleBinding[] {
    this.sort();
    return this.sortedClusterRoleBindings;
  }

  listClusterRoles(): readonly ClusterRole[] {
    this.sort();
    return this.sortedClusterRoles;
  }
}
