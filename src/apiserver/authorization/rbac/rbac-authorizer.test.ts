import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PolicyRule } from "kubernetes-types/rbac/v1.js";
import type { Attributes } from "../authorizer.js";
import { newClusterRole, newClusterRoleBinding, newRole, newRoleBinding, pathAttrs, resourceAttrs, user } from "./rbac-fixtures.js";
import { InMemoryPolicy } from "./policy-source.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { ruleAllows } from "./rule-matching.js";

describe("rule matching", () => {
  const jane = user("jane");
  const cases: { name: string; rule: PolicyRule; attrs: Attributes; want: boolean }[] = [
    { name: "exact verb, group, resource", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"] }, attrs: resourceAttrs(jane, "get", "pods"), want: true },
    { name: "other verb", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"] }, attrs: resourceAttrs(jane, "list", "pods"), want: false },
    { name: "verb *", rule: { verbs: ["*"], apiGroups: [""], resources: ["pods"] }, attrs: resourceAttrs(jane, "deletecollection", "pods"), want: true },
    { name: "other group", rule: { verbs: ["get"], apiGroups: [""], resources: ["deployments"] }, attrs: resourceAttrs(jane, "get", "deployments", { apiGroup: "apps" }), want: false },
    { name: "group *", rule: { verbs: ["get"], apiGroups: ["*"], resources: ["deployments"] }, attrs: resourceAttrs(jane, "get", "deployments", { apiGroup: "apps" }), want: true },
    { name: "resource * matches subresources", rule: { verbs: ["get"], apiGroups: [""], resources: ["*"] }, attrs: resourceAttrs(jane, "get", "pods", { subresource: "log" }), want: true },
    { name: "pods does not grant pods/log", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"] }, attrs: resourceAttrs(jane, "get", "pods", { subresource: "log" }), want: false },
    { name: "pods/log exactly", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }, attrs: resourceAttrs(jane, "get", "pods", { subresource: "log" }), want: true },
    { name: "pods/log does not grant pods", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }, attrs: resourceAttrs(jane, "get", "pods"), want: false },
    { name: "*/scale grants deployments/scale", rule: { verbs: ["update"], apiGroups: ["apps"], resources: ["*/scale"] }, attrs: resourceAttrs(jane, "update", "deployments", { apiGroup: "apps", subresource: "scale" }), want: true },
    { name: "*/scale does not grant deployments", rule: { verbs: ["update"], apiGroups: ["apps"], resources: ["*/scale"] }, attrs: resourceAttrs(jane, "update", "deployments", { apiGroup: "apps" }), want: false },
    { name: "*/scale does not grant */xscale", rule: { verbs: ["update"], apiGroups: ["apps"], resources: ["*/scale"] }, attrs: resourceAttrs(jane, "update", "deployments", { apiGroup: "apps", subresource: "xscale" }), want: false },
    { name: "pods/* is literal, as upstream", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods/*"] }, attrs: resourceAttrs(jane, "get", "pods", { subresource: "log" }), want: false },
    { name: "resourceNames match the name", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }, attrs: resourceAttrs(jane, "get", "pods", { name: "web" }), want: true },
    { name: "resourceNames other name", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }, attrs: resourceAttrs(jane, "get", "pods", { name: "db" }), want: false },
    { name: "resourceNames never match list", rule: { verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }, attrs: resourceAttrs(jane, "list", "pods"), want: false },
    { name: "resourceNames never match create", rule: { verbs: ["create"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }, attrs: resourceAttrs(jane, "create", "pods"), want: false },
    { name: "empty resourceNames match all", rule: { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: [] }, attrs: resourceAttrs(jane, "get", "pods", { name: "x" }), want: true },
    { name: "resource rule never grants a path", rule: { verbs: ["get"], apiGroups: ["*"], resources: ["*"] }, attrs: pathAttrs(jane, "get", "/metrics"), want: false },
    { name: "URL exact", rule: { verbs: ["get"], nonResourceURLs: ["/healthz"] }, attrs: pathAttrs(jane, "get", "/healthz"), want: true },
    { name: "URL exact, other path", rule: { verbs: ["get"], nonResourceURLs: ["/healthz"] }, attrs: pathAttrs(jane, "get", "/healthz/ping"), want: false },
    { name: "URL prefix", rule: { verbs: ["get"], nonResourceURLs: ["/healthz/*"] }, attrs: pathAttrs(jane, "get", "/healthz/ping"), want: true },
    { name: "URL prefix needs the slash", rule: { verbs: ["get"], nonResourceURLs: ["/healthz/*"] }, attrs: pathAttrs(jane, "get", "/healthz"), want: false },
    { name: "URL *", rule: { verbs: ["*"], nonResourceURLs: ["*"] }, attrs: pathAttrs(jane, "post", "/anything"), want: true },
    { name: "URL verb is the lower-case method", rule: { verbs: ["get"], nonResourceURLs: ["/version"] }, attrs: pathAttrs(jane, "post", "/version"), want: false },
    { name: "URL rule never grants a resource", rule: { verbs: ["*"], nonResourceURLs: ["*"] }, attrs: resourceAttrs(jane, "get", "pods"), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(ruleAllows(c.attrs, c.rule), c.want));
});

describe("RBAC authorizer", () => {
  const policy = new InMemoryPolicy({
    clusterRoles: [
      newClusterRole("cluster-admin", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }]),
      newClusterRole("pod-reader", [{ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] }]),
      newClusterRole("metrics", [{ verbs: ["get"], nonResourceURLs: ["/metrics"] }]),
    ],
    clusterRoleBindings: [
      newClusterRoleBinding("cluster-admin", "cluster-admin", [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:masters" }]),
      newClusterRoleBinding("metrics", "metrics", [{ kind: "User", name: "prom" }, { kind: "ServiceAccount", name: "nobody" }]),
      newClusterRoleBinding("sa-readers", "pod-reader", [{ kind: "ServiceAccount", namespace: "kube-system", name: "reader" }]),
      newClusterRoleBinding("dangling", "missing", [{ kind: "User", name: "lost" }]),
    ],
    roles: [newRole("dev", "secret-reader", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }])],
    roleBindings: [
      newRoleBinding("dev", "jane-secrets", "Role", "secret-reader", [{ kind: "User", name: "jane" }]),
      newRoleBinding("dev", "team-pods", "ClusterRole", "pod-reader", [{ kind: "Group", name: "team" }]),
      newRoleBinding("dev", "local-sa", "ClusterRole", "pod-reader", [{ kind: "ServiceAccount", name: "builder" }]),
      newRoleBinding("prod", "jane-wrong-ns-role", "Role", "secret-reader", [{ kind: "User", name: "jane" }]),
    ],
  });
  const rbac = new RbacAuthorizer({ policy });
  const cases: { name: string; attrs: Attributes; decision: string; reason: string }[] = [
    { name: "system:masters everywhere", attrs: resourceAttrs(user("admin", "system:masters", "system:authenticated"), "delete", "nodes", { name: "n1" }), decision: "Allow",
      reason: `RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"` },
    { name: "a RoleBinding to a Role", attrs: resourceAttrs(user("jane"), "get", "secrets", { namespace: "dev", name: "s" }), decision: "Allow",
      reason: `RBAC: allowed by RoleBinding "jane-secrets/dev" of Role "secret-reader" to User "jane"` },
    { name: "a RoleBinding grants only in its namespace", attrs: resourceAttrs(user("jane"), "get", "secrets", { namespace: "other", name: "s" }), decision: "NoOpinion", reason: "" },
    { name: "a RoleBinding does not grant cluster-wide", attrs: resourceAttrs(user("jane"), "get", "secrets", { name: "s" }), decision: "NoOpinion", reason: "" },
    { name: "a RoleBinding to a ClusterRole, by group", attrs: resourceAttrs(user("bob", "team"), "list", "pods", { namespace: "dev" }), decision: "Allow",
      reason: `RBAC: allowed by RoleBinding "team-pods/dev" of ClusterRole "pod-reader" to Group "team"` },
    { name: "a service account in the binding's namespace", attrs: resourceAttrs(user("system:serviceaccount:dev:builder"), "watch", "pods", { namespace: "dev" }), decision: "Allow",
      reason: `RBAC: allowed by RoleBinding "local-sa/dev" of ClusterRole "pod-reader" to ServiceAccount "builder/dev"` },
    { name: "the same name in another namespace is another account", attrs: resourceAttrs(user("system:serviceaccount:prod:builder"), "watch", "pods", { namespace: "dev" }), decision: "NoOpinion", reason: "" },
    { name: "a service account by a ClusterRoleBinding", attrs: resourceAttrs(user("system:serviceaccount:kube-system:reader"), "get", "pods", { namespace: "x", name: "p" }), decision: "Allow",
      reason: `RBAC: allowed by ClusterRoleBinding "sa-readers" of ClusterRole "pod-reader" to ServiceAccount "reader/kube-system"` },
    { name: "a service account without namespace in a ClusterRoleBinding matches nobody", attrs: pathAttrs(user("system:serviceaccount::nobody"), "get", "/metrics"), decision: "NoOpinion", reason: "" },
    { name: "a path", attrs: pathAttrs(user("prom"), "get", "/metrics"), decision: "Allow", reason: `RBAC: allowed by ClusterRoleBinding "metrics" of ClusterRole "metrics" to User "prom"` },
    { name: "a path, other verb", attrs: pathAttrs(user("prom"), "post", "/metrics"), decision: "NoOpinion", reason: "" },
    { name: "a binding to a missing role says so", attrs: resourceAttrs(user("lost"), "get", "pods"), decision: "NoOpinion", reason: `RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found` },
    { name: "a RoleBinding to a Role of another namespace resolves in its own", attrs: resourceAttrs(user("jane"), "get", "secrets", { namespace: "prod", name: "s" }), decision: "NoOpinion", reason: `RBAC: role.rbac.authorization.k8s.io "secret-reader" not found` },
    { name: "nobody", attrs: resourceAttrs(user("eve", "system:authenticated"), "get", "pods", { namespace: "dev" }), decision: "NoOpinion", reason: "" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = rbac.authorize(c.attrs);
      assert.equal(r.decision, c.decision);
      assert.equal(r.reason, c.reason);
    });
  }

  it("the first subject of a binding that applies describes it", () => {
    const p = new InMemoryPolicy({
      clusterRoles: [newClusterRole("r", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }])],
      clusterRoleBindings: [newClusterRoleBinding("b", "r", [{ kind: "Group", name: "g2" }, { kind: "User", name: "u" }, { kind: "Group", name: "g1" }])],
    });
    const r = new RbacAuthorizer({ policy: p }).authorize(resourceAttrs(user("u", "g1", "g2"), "get", "pods"));
    assert.equal(r.reason, `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to Group "g2"`);
  });

  it("follows changes of the policy", () => {
    const p = new InMemoryPolicy({ clusterRoles: [newClusterRole("r", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }])] });
    const a = new RbacAuthorizer({ policy: p });
    const u = user("u");
    const attrs = resourceAttrs(u, "get", "pods");
    assert.equal(a.authorize(attrs).decision, "NoOpinion");
    p.upsert("ClusterRoleBinding", newClusterRoleBinding("b", "r", [{ kind: "User", name: "u" }]));
    assert.equal(a.authorize(attrs).decision, "Allow");
    p.upsert("ClusterRole", newClusterRole("r", [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }]));
    assert.equal(a.authorize(attrs).decision, "NoOpinion");
    p.upsert("ClusterRole", newClusterRole("r", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]));
    assert.equal(a.authorize(attrs).decision, "Allow");
    p.remove("ClusterRoleBinding", undefined, "b");
    assert.equal(a.authorize(attrs).decision, "NoOpinion");
  });

  it("several errors aggregate", () => {
    const p = new InMemoryPolicy({ clusterRoleBindings: [newClusterRoleBinding("a", "x", [{ kind: "User", name: "u" }]), newClusterRoleBinding("b", "y", [{ kind: "User", name: "u" }])] });
    assert.equal(new RbacAuthorizer({ policy: p }).authorize(resourceAttrs(user("u"), "get", "pods")).reason,
      `RBAC: [clusterrole.rbac.authorization.k8s.io "x" not found, clusterrole.rbac.authorization.k8s.io "y" not found]`);
  });

  it("rulesFor lists cluster-wide and namespace rules, split as SelfSubjectRulesReview wants", () => {
    const r = rbac.rulesFor(user("jane", "team"), "dev");
    assert.deepEqual(r.resourceRules, [
      { verbs: ["get"], apiGroups: [""], resources: ["secrets"] },
      { verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] },
    ]);
    assert.deepEqual(r.nonResourceRules, []);
    assert.equal(r.incomplete, false);
    assert.equal(r.evaluationError, undefined);
    const admin = rbac.rulesFor(user("a", "system:masters"), "");
    assert.deepEqual(admin.nonResourceRules, [{ verbs: ["*"], nonResourceURLs: ["*"] }]);
    assert.equal(rbac.rulesFor(user("lost"), "").evaluationError, `clusterrole.rbac.authorization.k8s.io "missing" not found`);
  });
});
