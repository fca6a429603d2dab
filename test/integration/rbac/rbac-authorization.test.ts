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
});
