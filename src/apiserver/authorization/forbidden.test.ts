import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forbidden } from "./forbidden.js";
import { pathAttrs, resourceAttrs, user } from "./rbac/rbac-fixtures.js";

describe("Forbidden message", () => {
  const jane = user("jane", "system:authenticated");
  const cases: { name: string; attrs: Parameters<typeof forbidden>[0]; reason?: string; message: string; details: object }[] = [
    { name: "list in a namespace", attrs: resourceAttrs(jane, "list", "pods", { namespace: "default" }),
      message: `pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"`, details: { kind: "pods" } },
    { name: "get by name", attrs: resourceAttrs(jane, "get", "pods", { namespace: "default", name: "web" }),
      message: `pods "web" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "default"`, details: { name: "web", kind: "pods" } },
    { name: "cluster scope", attrs: resourceAttrs(jane, "list", "nodes"),
      message: `nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope`, details: { kind: "nodes" } },
    { name: "a named group", attrs: resourceAttrs(jane, "create", "deployments", { apiGroup: "apps", namespace: "dev" }),
      message: `deployments.apps is forbidden: User "jane" cannot create resource "deployments" in API group "apps" in the namespace "dev"`, details: { group: "apps", kind: "deployments" } },
    { name: "a subresource", attrs: resourceAttrs(jane, "create", "pods", { subresource: "exec", namespace: "default", name: "web" }),
      message: `pods "web" is forbidden: User "jane" cannot create resource "pods/exec" in API group "" in the namespace "default"`, details: { name: "web", kind: "pods" } },
    { name: "a path", attrs: pathAttrs(jane, "get", "/metrics"), message: `forbidden: User "jane" cannot get path "/metrics"`, details: {} },
    { name: "with a reason", attrs: resourceAttrs(jane, "get", "secrets", { namespace: "a", name: "s" }), reason: "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found",
      message: `secrets "s" is forbidden: User "jane" cannot get resource "secrets" in API group "" in the namespace "a": RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`, details: { name: "s", kind: "secrets" } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const e = forbidden(c.attrs, c.reason ?? "");
      assert.equal(e.code, 403);
      assert.equal(e.reason, "Forbidden");
      assert.equal(e.message, c.message);
      assert.deepEqual(e.toStatus().details, c.details);
    });
  }
});
