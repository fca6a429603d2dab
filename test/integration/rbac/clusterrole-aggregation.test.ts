/** The ClusterRole aggregation controller against a real API server: admin, edit and view follow the roles labelled for them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ControllerManager } from "../../../src/controllers/manager.js";
import { ClusterRoleAggregationController } from "../../../src/controllers/clusterroleaggregation/clusterrole-aggregation-controller.js";
import type { KubeObject } from "../../../src/client/index.js";
import { startControlPlane } from "../../helpers/control-plane.js";
import { eventually } from "../../helpers/kubectl.js";

const clusterroles = { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false };
type Role = KubeObject & { rules?: { verbs: string[]; resources?: string[] }[] };

describe("ClusterRole aggregation", () => {
  it("fills an aggregated role from the roles its selectors match, and follows them", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    await c.create(clusterroles, undefined, { metadata: { name: "agg-view" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-agg-view": "true" } }] } } as KubeObject);
    await c.create(clusterroles, undefined, { metadata: { name: "piece-a", labels: { "example.com/aggregate-to-agg-view": "true" } }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] } as KubeObject);
    const abort = new AbortController();
    const manager = new ControllerManager(c, { controllers: [new ClusterRoleAggregationController()] });
    manager.start(abort.signal);
    try {
      await manager.ready;
      const rulesOf = async () => ((await c.get<Role>(clusterroles, undefined, "agg-view")).rules ?? []).map((r) => `${r.verbs.join(",")} ${r.resources?.join(",")}`);
      await eventually(async () => { assert.deepEqual(await rulesOf(), ["get pods"]); return true; });
      await c.create(clusterroles, undefined, { metadata: { name: "piece-b", labels: { "example.com/aggregate-to-agg-view": "true" } }, rules: [{ verbs: ["list"], apiGroups: [""], resources: ["services"] }, { verbs: ["get"], apiGroups: [""], resources: ["pods"] }] } as KubeObject);
      await eventually(async () => { assert.deepEqual(await rulesOf(), ["get pods", "list services"]); return true; });
      await c.delete(clusterroles, undefined, "piece-a");
      await eventually(async () => { assert.deepEqual(await rulesOf(), ["list services", "get pods"]); return true; });
    } finally {
      abort.abort();
      await manager.stopped();
    }
  });
});
