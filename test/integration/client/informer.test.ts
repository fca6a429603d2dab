/**
 * Informers against Skiff: Skiff's own, and @kubernetes/client-node's, which
 * lists and watches the server as it would a real cluster.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { Informer, type KubeObject } from "../../../src/client/index.js";
import { startControlPlane } from "../../helpers/control-plane.js";
import { eventually } from "../../helpers/kubectl.js";

const cm = { group: "", version: "v1", resource: "configmaps", namespaced: true };

describe("informers", () => {
  it("Skiff's informer caches, indexes by namespace and labels, and hears every change", async () => {
    await using cp = await startControlPlane();
    const c = cp.client;
    await c.create(cm, "default", { metadata: { name: "before", labels: { app: "x" } } });
    const informer = new Informer<KubeObject>(c, cm, { relistBackoffMs: 50 });
    const seen: string[] = [];
    // The test's own objects (labelled app): the server has ConfigMaps of its own in kube-system.
    const mine = (o: KubeObject) => Boolean(o.metadata.labels?.app);
    informer.addEventHandler({
      add: (o) => { if (mine(o)) seen.push(`add ${o.metadata.name}`); },
      update: (_o, n) => { if (mine(n)) seen.push(`update ${n.metadata.name}`); },
      delete: (o) => { if (mine(o)) seen.push(`delete ${o.metadata.name}`); },
    });
    const abort = new AbortController();
    const running = informer.run(abort.signal);
    try {
      await informer.hasSynced;
      assert.deepEqual(seen, ["add before"]);
      await c.create(cm, "kube-system", { metadata: { name: "other", labels: { app: "y" } } });
      await c.patch(cm, "default", "before", { data: { k: "v" } });
      await c.delete(cm, "default", "before");
      await eventually(() => seen.length === 4);
      assert.deepEqual(seen, ["add before", "add other", "update before", "delete before"]);
      assert.deepEqual(informer.list("kube-system").filter(mine).map((o) => o.metadata.name), ["other"]);
      assert.deepEqual(informer.list(undefined, "app=y").map((o) => o.metadata.name), ["other"]);
      assert.equal(informer.get("default/before"), undefined);
    } finally {
      abort.abort();
      await running;
    }
  });

  it("@kubernetes/client-node lists and watches Skiff", async () => {
    await using cp = await startControlPlane();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "first" }, data: { a: "1" } } });
    const informer = k8s.makeInformer(kc, "/api/v1/namespaces/default/configmaps", () => core.listNamespacedConfigMap({ namespace: "default" }));
    const events: string[] = [];
    informer.on("add", (o: k8s.V1ConfigMap) => events.push(`add ${o.metadata?.name}`));
    informer.on("update", (o: k8s.V1ConfigMap) => events.push(`update ${o.metadata?.name} ${o.data?.a}`));
    informer.on("delete", (o: k8s.V1ConfigMap) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await eventually(() => events.includes("add first"));
      await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "second" } } });
      await core.patchNamespacedConfigMap({ namespace: "default", name: "first", body: { data: { a: "2" } } }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace: "default", name: "second" });
      await eventually(() => events.includes("delete second"));
      assert.deepEqual(events, ["add first", "add second", "update first 2", "delete second"]);
      assert.deepEqual(informer.list("default").map((o) => o.metadata?.name), ["first"]);
    } finally {
      await informer.stop();
    }
  });
});
