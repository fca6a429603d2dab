import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PolicyRule } from "kubernetes-types/rbac/v1.js";
import { confirmBindingWrite, confirmNoEscalation, confirmRoleWrite } from "./escalation.js";
import { InMemoryPolicy } from "./policy-source.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { covers } from "./rule-matching.js";
import { newClusterRole, newClusterRoleBinding, newRole, newRoleBinding, user } from "./rbac-fixtures.js";

describe("covers", () => {
  const cases: { name: string; owned: PolicyRule[]; wanted: PolicyRule[]; want: boolean }[] = [
    { name: "same rule", owned: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], wanted: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], want: true },
    { name: "more verbs wanted", owned: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], wanted: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }], want: false },
    { name: "split over two rules", owned: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }, { verbs: ["list"], apiGroups: [""], resources: ["pods"] }], wanted: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }], want: true },
    { name: "stars cover all", owned: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], wanted: [{ verbs: ["escalate"], apiGroups: ["x"], resources: ["y/z"] }], want: true },
    { name: "*/scale covers deployments/scale", owned: [{ verbs: ["get"], apiGroups: ["apps"], resources: ["*/scale"] }], wanted: [{ verbs: ["get"], apiGroups: ["apps"], resources: ["deployments/scale"] }], want: true },
    { name: "names narrow", owned: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] }], wanted: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], want: false },
    { name: "no names covers names", owned: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], wanted: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"] }], want: true },
    { name: "URL prefix covers", owned: [{ verbs: ["get"], nonResourceURLs: ["/api/*"] }], wanted: [{ verbs: ["get"], nonResourceURLs: ["/api/v1"] }], want: true },
    { name: "URL exact only", owned: [{ verbs: ["get"], nonResourceURLs: ["/api"] }], wanted: [{ verbs: ["get"], nonResourceURLs: ["/api/v1"] }], want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(covers(c.owned, c.wanted).covered, c.want));
});

describe("escalation prevention", () => {
  const policy = new InMemoryPolicy({
    clusterRoles: [
      newClusterRole("cluster-admin", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }]),
      newClusterRole("pod-reader", [{ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] }]),
      newClusterRole("secret-reader", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]),
      newClusterRole("role-writer", [{ verbs: ["create", "update"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings", "clusterroles"] }]),
      newClusterRole("escalator", [{ verbs: ["escalate"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"] }]),
      newClusterRole("binder", [{ verbs: ["bind"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["secret-reader"] }]),
    ],
    clusterRoleBindings: [
      newClusterRoleBinding("cluster-admin", "cluster-admin", [{ kind: "User", name: "root" }]),
      newClusterRoleBinding("writers", "role-writer", [{ kind: "Group", name: "writers" }]),
    ],
    roleBindings: [
      newRoleBinding("dev", "jane-pods", "ClusterRole", "pod-reader", [{ kind: "User", name: "jane" }]),
      newRoleBinding("dev", "esc", "ClusterRole", "escalator", [{ kind: "User", name: "esc" }]),
      newRoleBinding("dev", "bind", "ClusterRole", "binder", [{ kind: "User", name: "binder" }]),
    ],
    roles: [newRole("dev", "pods", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }])],
  });
  const rbac = new RbacAuthorizer({ policy });
  const jane = user("jane", "writers", "system:authenticated");
  const secrets: PolicyRule[] = [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }];
  const forbids = (fn: () => void, message: string) => assert.throws(fn, (e: { code?: number; message?: string }) => {
    assert.equal(e.code, 403);
    assert.equal(e.message, message);
    return true;
  });

  it("says which permissions are missing, as upstream", () => {
    assert.equal(confirmNoEscalation(jane, "dev", [{ verbs: ["get", "list"], apiGroups: [""], resources: ["secrets", "pods"] }], rbac),
      `user "jane" (groups=["writers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`);
    assert.equal(confirmNoEscalation(jane, "dev", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], rbac), undefined);
    assert.notEqual(confirmNoEscalation(jane, "other", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], rbac), undefined);
  });

  const roleCases: { name: string; who: ReturnType<typeof user>; kind: "Role" | "ClusterRole"; ns: string; rules: PolicyRule[]; error?: string }[] = [
    { name: "a Role within what one holds", who: jane, kind: "Role", ns: "dev", rules: [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }] },
    { name: "a Role beyond it", who: jane, kind: "Role", ns: "dev", rules: secrets,
      error: `roles.rbac.authorization.k8s.io "r" is forbidden: user "jane" (groups=["writers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}` },
    { name: "a ClusterRole is checked cluster-wide", who: jane, kind: "ClusterRole", ns: "", rules: [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }],
      error: `clusterroles.rbac.authorization.k8s.io "r" is forbidden: user "jane" (groups=["writers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["list"]}` },
    { name: "escalate allows anything", who: user("esc"), kind: "Role", ns: "dev", rules: secrets },
    { name: "escalate is per namespace", who: user("esc"), kind: "Role", ns: "prod", rules: secrets, error: `roles.rbac.authorization.k8s.io "r" is forbidden: user "esc" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}` },
    { name: "system:masters is exempt", who: user("m", "system:masters"), kind: "ClusterRole", ns: "", rules: secrets },
    { name: "cluster-admin holds everything", who: user("root"), kind: "ClusterRole", ns: "", rules: secrets },
  ];
  for (const c of roleCases) {
    it(c.name, () => {
      const write = () => confirmRoleWrite({ user: c.who, authorizer: rbac, resolver: rbac, kind: c.kind, namespace: c.ns, obj: { metadata: { name: "r", namespace: c.ns || undefined }, rules: c.rules } });
      if (c.error) forbids(write, c.error);
      else write();
    });
  }

  it("an aggregationRule needs full authority", () => {
    const obj = { metadata: { name: "agg" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] }, rules: [] };
    forbids(() => confirmRoleWrite({ user: jane, authorizer: rbac, resolver: rbac, kind: "ClusterRole", namespace: "", obj }),
      `clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
    confirmRoleWrite({ user: user("root"), authorizer: rbac, resolver: rbac, kind: "ClusterRole", namespace: "", obj });
    const plain = { metadata: { name: "agg" }, rules: [] };
    forbids(() => confirmRoleWrite({ user: jane, authorizer: rbac, resolver: rbac, kind: "ClusterRole", namespace: "", obj: plain, old: obj }),
      `clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
    confirmRoleWrite({ user: jane, authorizer: rbac, resolver: rbac, kind: "ClusterRole", namespace: "", obj: plain, old: plain });
  });

  it("an update touching only ownerReferences and finalizers passes", () => {
    const old = { metadata: { name: "r", namespace: "dev", resourceVersion: "5" }, rules: secrets };
    const obj = { metadata: { name: "r", namespace: "dev", finalizers: ["x"], ownerReferences: [] }, rules: secrets };
    confirmRoleWrite({ user: jane, authorizer: rbac, resolver: rbac, kind: "Role", namespace: "dev", obj, old });
    assert.throws(() => confirmRoleWrite({ user: jane, authorizer: rbac, resolver: rbac, kind: "Role", namespace: "dev", obj: { ...obj, metadata: { ...obj.metadata, labels: { a: "b" } } }, old }));
  });

  const bindingCases: { name: string; who: ReturnType<typeof user>; kind: "RoleBinding" | "ClusterRoleBinding"; ns: string; roleKind: "Role" | "ClusterRole"; role: string; error?: string }[] = [
    { name: "binding a role one holds", who: jane, kind: "RoleBinding", ns: "dev", roleKind: "ClusterRole", role: "pod-reader" },
    { name: "binding a Role of the namespace one holds", who: jane, kind: "RoleBinding", ns: "dev", roleKind: "Role", role: "pods" },
    { name: "binding a role one does not hold", who: jane, kind: "RoleBinding", ns: "dev", roleKind: "ClusterRole", role: "secret-reader",
      error: `rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "jane" (groups=["writers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}` },
    { name: "holding it in one namespace is not cluster-wide", who: jane, kind: "ClusterRoleBinding", ns: "", roleKind: "ClusterRole", role: "pod-reader",
      error: `clusterrolebindings.rbac.authorization.k8s.io "b" is forbidden: user "jane" (groups=["writers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get" "list" "watch"]}` },
    { name: "bind on that role name allows it", who: user("binder"), kind: "RoleBinding", ns: "dev", roleKind: "ClusterRole", role: "secret-reader" },
    { name: "bind is per namespace", who: user("binder"), kind: "RoleBinding", ns: "prod", roleKind: "ClusterRole", role: "secret-reader",
      error: `rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "binder" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}` },
    { name: "a missing role", who: jane, kind: "RoleBinding", ns: "dev", roleKind: "ClusterRole", role: "nope",
      error: `rolebindings.rbac.authorization.k8s.io "b" is forbidden: clusterroles.rbac.authorization.k8s.io "nope" not found` },
    { name: "system:masters is exempt", who: user("m", "system:masters"), kind: "ClusterRoleBinding", ns: "", roleKind: "ClusterRole", role: "cluster-admin" },
  ];
  for (const c of bindingCases) {
    it(c.name, () => {
      const write = () => confirmBindingWrite({ user: c.who, authorizer: rbac, resolver: rbac, kind: c.kind, namespace: c.ns,
        obj: { metadata: { name: "b" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: c.roleKind, name: c.role } } });
      if (c.error) forbids(write, c.error);
      else write();
    });
  }
});
