/**
 * A CustomResourceDefinition's life as kubectl shows it: a deprecated
 * version warns every request; deleting the CRD deletes its objects first
 * (the customresourcecleanup finalizer and the Terminating condition), waits
 * for objects that hold finalizers of their own, refuses new objects
 * meanwhile, and leaves nothing for a CRD of the same name made later.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- kubectl's JSON output

const crd = JSON.stringify({
  apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "gadgets.example.com" },
  spec: {
    group: "example.com", scope: "Namespaced", names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
    versions: [
      { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", x_kubernetes_preserve_unknown_fields: true } } } } },
      { name: "v1beta1", served: true, storage: false, deprecated: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", x_kubernetes_preserve_unknown_fields: true } } } } },
    ],
  },
}).replaceAll("x_kubernetes_preserve_unknown_fields", "x-kubernetes-preserve-unknown-fields");

const gadget = (name: string, finalizers?: string[]) => JSON.stringify({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name, namespace: "default", ...(finalizers ? { finalizers } : {}) }, spec: { size: 1 } });

describe("a CRD's lifecycle", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]): Promise<Json> => JSON.parse(await kubectl.ok([...args, "-o", "json"]));
  const establish = async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: crd });
    await kubectl.ok(["wait", "--for=condition=Established", "crd/gadgets.example.com", "--timeout=30s"]);
  };

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    await establish();
  });
  after(async () => { await server?.[Symbol.asyncDispose](); });

  it("warns on every request of a deprecated version", async () => {
    await eventually(async () => (await kubectl.run(["apply", "-f", "-"], { input: gadget("one") })).code === 0 || undefined);
    const r = await kubectl.run(["get", "gadgets.v1beta1.example.com", "one"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: example\.com\/v1beta1 Gadget is deprecated/);
    const list = await kubectl.run(["get", "gadgets.v1beta1.example.com"]);
    assert.match(list.stderr, /Warning: example\.com\/v1beta1 Gadget is deprecated/);
    assert.doesNotMatch((await kubectl.run(["get", "gadgets.v1.example.com", "one"])).stderr, /deprecated/);
  });

  it("deletes the objects before the CRD, waits for their finalizers, and refuses new ones meanwhile", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: gadget("held", ["example.com/hold"]) });
    await kubectl.ok(["delete", "crd", "gadgets.example.com", "--wait=false"]);
    const terminating = await eventually(async () => {
      const c = (await json(["get", "crd", "gadgets.example.com"])).status.conditions.find((x: Json) => x.type === "Terminating");
      return c?.reason === "InstanceDeletionCheck" ? c : undefined;
    }, 20_000, 200);
    assert.equal(terminating.status, "True");
    assert.match(terminating.message, /could not confirm zero CustomResources remaining/);
    assert.deepEqual((await json(["get", "crd", "gadgets.example.com"])).metadata.finalizers, ["customresourcecleanup.apiextensions.k8s.io"]);
    // The object without finalizers is gone; the held one is marked and waits.
    assert.deepEqual((await json(["get", "gadgets"])).items.map((o: Json) => [o.metadata.name, Boolean(o.metadata.deletionTimestamp)]), [["held", true]]);
    const refused = await kubectl.run(["create", "-f", "-"], { input: gadget("late") });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /create not allowed while custom resource definition is terminating/);
    await kubectl.ok(["patch", "gadget", "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    await eventually(async () => (await kubectl.run(["get", "crd", "gadgets.example.com"])).code !== 0 || undefined, 20_000, 200);
  });

  it("leaves nothing for a CRD of the same name made again", async () => {
    await establish();
    assert.deepEqual((await eventually(async () => { const r = await kubectl.run(["get", "gadgets", "-o", "json"]); return r.code === 0 ? JSON.parse(r.stdout) : undefined; }))!.items, []);
  });
});
