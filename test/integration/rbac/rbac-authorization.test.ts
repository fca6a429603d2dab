/**
 * RBAC over a real store shared with a running API server: two RBAC
 * instances (two API servers' worth) bootstrap at once and agree on every
 * binding written through the API.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ResourceCatalog } from "../../../src/apiserver/catalog.js";
import { ObjectStore } from "../../../src/apiserver/registry/object-store.js";
import { RbacAuthorization, forbidden } from "../../../src/apiserver/authorization/rbac/index.js";
import type { Attributes } from "../../../src/apiserver/authorization/authorizer.js";
import type { KubeObject } from "../../../src/client/index.js";
import { ControllerManager } from "../../../src/controllers/manager.js";
import { ClusterRoleAggregationController } from "../../../src/controllers/clusterroleaggregation/clusterrole-aggregation-controller.js";
import { startControlPlane } from "../../helpers/control-plane.js";
import { eventually } from "../../helpers/kubectl.js";

const rolebindings = { group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", namespaced: true };
const clusterroles = { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false };

const attrs = (username: string, groups: string[], verb: string, resource: string, namespace: string, name = ""): Attributes =>
  ({ user: { username, groups }, verb, resourceRequest: true, path: "", apiGroup: "", apiVersion: "v1", resource, subresource: "", namespace, name });

describe("RBAC on a shared store", () => {
  it("bootstraps once from two servers, and both follow bindings written through the API", async () => {
    await using cp = await startControlPlane();
    const catalog = new ResourceCatalog();
    const servers = [new RbacAuthorization({ objects: new ObjectStore(cp.store), catalog }), new RbacAuthorization({ objects: new ObjectStore(cp.store), catalog })];
    try {
      await Promise.all(servers.map((s) => s.start()));
      const admin = attrs("admin", ["system:masters", "system:authenticated"], "delete", "nodes", "", "n1");
      for (const s of servers) {
        assert.deepEqual(s.authorizer.authorize(admin), { decision: "Allow", reason: `RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"` });
      }
      const view = await cp.client.get<KubeObject & { rules?: unknown[] }>(clusterroles, undefined, "view");
      assert.ok(view.metadata.labels?.["kubernetes.io/bootstrapping"] === "rbac-defaults");

      const jane = attrs("jane", ["system:authenticated"], "get", "secrets", "default", "db");
      const denied = servers[0]!.authorizer.authorize(jane);
      assert.equal(denied.decision, "NoOpinion");
      assert.equal(forbidden(jane, denied.reason).message, `secrets "db" is forbidden: User "jane" cannot get resource "secrets" in API group "" in the namespace "default"`);

      await cp.client.create(clusterroles, undefined, { metadata: { name: "secret-reader" }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }] } as KubeObject);
      await cp.client.create(rolebindings, "default", { metadata: { name: "jane-secrets" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "secret-reader" }, subjects: [{ kind: "User", name: "jane", apiGroup: "rbac.authorization.k8s.io" }] } as KubeObject);
      await eventually(() => servers.every((s) => s.authorizer.authorize(jane).reason === `RBAC: allowed by RoleBinding "jane-secrets/default" of ClusterRole "secret-reader" to User "jane"`));
      await cp.client.delete(rolebindings, "default", "jane-secrets");
      await eventually(() => servers.every((s) => s.authorizer.authorize(jane).decision === "NoOpinion"));
    } finally {
      for (const s of servers) s.stop();
    }
  });

  it("view, edit and admin are aggregated from the bootstrap pieces and grant what upstream's do", async () => {
    await using cp = await startControlPlane();
    const rbac = new RbacAuthorization({ objects: new ObjectStore(cp.store), catalog: new ResourceCatalog() });
    const abort = new AbortController();
    const manager = new ControllerManager(cp.client, { controllers: [new ClusterRoleAggregationController()] });
    try {
      await rbac.start();
      manager.start(abort.signal);
      await manager.ready;
      for (const [role, who] of [["view", "viewer"], ["edit", "editor"], ["admin", "adminer"]] as const) {
        await cp.client.create(rolebindings, "default", { metadata: { name: who }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role }, subjects: [{ kind: "User", name: who, apiGroup: "rbac.authorization.k8s.io" }] } as KubeObject);
      }
      const can = (who: string, verb: string, resource: string, apiGroup = "") =>
        rbac.authorizer.authorize({ ...attrs(who, ["system:authenticated"], verb, resource, "default"), apiGroup }).decision === "Allow";
      // admin aggregates edit, which aggregates view: each level is filled after the one below it, so
      // the wait is for the whole chain (admin's own pieces can arrive before edit's rules do).
      await eventually(() => can("viewer", "list", "pods") && can("editor", "create", "deployments", "apps") && can("editor", "list", "pods") &&
        can("adminer", "create", "rolebindings", "rbac.authorization.k8s.io") && can("adminer", "list", "pods"));
      assert.equal(can("viewer", "get", "secrets"), false, "view does not read secrets");
      assert.equal(can("viewer", "create", "pods"), false);
      assert.equal(can("editor", "get", "secrets"), true);
      assert.equal(can("editor", "create", "rolebindings", "rbac.authorization.k8s.io"), false, "edit does not grant RBAC");
      assert.equal(can("adminer", "list", "pods"), true, "admin holds edit and view");
    } finally {
      abort.abort();
      await manager.stopped();
      rbac.stop();
    }
  });
});
