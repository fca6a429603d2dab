import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MutatingWebhook, MutatingWebhookConfiguration } from "kubernetes-types/admissionregistration/v1.js";
import { builtinResources } from "../../../../api/resources.js";
import { ApiError } from "../../../../api/errors.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../../admission.js";
import { AdmissionChain } from "../../chain.js";
import type { AdmissionReviewRequest } from "../webhook/review.js";

/** An AdmissionReview as the webhook receives it. */
type Review = { request: AdmissionReviewRequest };
import { WebhookCallError } from "../webhook/index.js";
import { MutatingAdmissionWebhook } from "./index.js";

const configMaps = builtinResources.find((r) => r.group === "" && r.resource === "configmaps")!;
type Answer = { allowed?: boolean; patch?: unknown[]; status?: object } | Error;

/** A plugin whose webhooks answer with handlers by name; calls records who was called with which labels. */
function fixture(hooks: (Partial<MutatingWebhook> & { name: string })[], handlers: Record<string, (review: Review) => Answer>) {
  const calls: { name: string; labels: Record<string, string> }[] = [];
  const configuration: MutatingWebhookConfiguration = {
    metadata: { name: "c" },
    webhooks: hooks.map((h) => ({
      clientConfig: { url: "https://127.0.0.1/" }, sideEffects: "None", admissionReviewVersions: ["v1"], failurePolicy: "Fail", timeoutSeconds: 10,
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["*"], resources: ["configmaps"] } as never], ...h,
    })),
  };
  const plugin = new MutatingAdmissionWebhook({
    configurations: () => [configuration],
    getNamespace: async (name) => ({ metadata: { name } }),
    equivalentResources: () => [configMaps],
    convert: (o) => o,
    services: { resolve: async () => { throw new Error("no services here"); } },
    call: async (name, _cc, _t, body) => {
      const review = JSON.parse(body) as Review;
      calls.push({ name, labels: { ...review.request.object?.metadata?.labels } });
      const a = handlers[name]!(review);
      if (a instanceof Error) throw new WebhookCallError(name, a.message);
      const patch = a.patch ? { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(a.patch)).toString("base64") } : {};
      return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, allowed: a.allowed ?? true, status: a.status, ...patch } };
    },
  });
  const annotations: Record<string, string> = {};
  const attrs = (a: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
    info: configMaps, operation: "CREATE", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "ns", labels: {} } },
    namespace: "ns", name: "cm", subresource: "", user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {},
    addAuditAnnotation: (k, v) => { annotations[k] = v; }, ...a,
  });
  /** The chain a server runs: built-in mutating plugins first, then the webhooks. */
  const chain = (...builtin: AdmissionPlugin[]) => new AdmissionChain([...builtin, plugin]);
  return { plugin, calls, attrs, annotations, chain };
}
const addLabel = (key: string, value: string) => ({ allowed: true, patch: [{ op: "add", path: `/metadata/labels/${key}`, value }] });

describe("MutatingAdmissionWebhook", () => {
  it("applies each webhook's patch before the next is called", async () => {
    const f = fixture([{ name: "a.x.y" }, { name: "b.x.y" }], { "a.x.y": () => addLabel("a", "1"), "b.x.y": () => addLabel("b", "2") });
    const a = f.attrs();
    await f.plugin.admit(a);
    assert.deepEqual(a.object.metadata.labels, { a: "1", b: "2" });
    assert.deepEqual(f.calls, [{ name: "a.x.y", labels: {} }, { name: "b.x.y", labels: { a: "1" } }]);
    assert.deepEqual(JSON.parse(f.annotations["mutation.webhook.admission.k8s.io/round_0_index_1"]!), { configuration: "c", webhook: "b.x.y", mutated: true });
    assert.ok(f.annotations["patch.webhook.admission.k8s.io/round_0_index_0"]);
  });

  it("reinvokes IfNeeded webhooks once when a later one changed the object, never those that are Never", async () => {
    const f = fixture([{ name: "a.x.y", reinvocationPolicy: "IfNeeded" }, { name: "n.x.y" }, { name: "b.x.y" }],
      { "a.x.y": () => ({ allowed: true }), "n.x.y": () => ({ allowed: true }), "b.x.y": (r) => (r.request.object!.metadata.labels!.b ? { allowed: true } : addLabel("b", "2")) });
    await f.chain().admit(f.attrs());
    assert.deepEqual(f.calls.map((c) => c.name), ["a.x.y", "n.x.y", "b.x.y", "a.x.y"]);
    assert.deepEqual(f.calls[3]!.labels, { b: "2" });
    assert.deepEqual(JSON.parse(f.annotations["mutation.webhook.admission.k8s.io/round_1_index_0"]!), { configuration: "c", webhook: "a.x.y", mutated: false });
  });

  it("does not reinvoke when nothing changed after an IfNeeded webhook", async () => {
    const f = fixture([{ name: "b.x.y" }, { name: "a.x.y", reinvocationPolicy: "IfNeeded" }], { "a.x.y": () => ({ allowed: true }), "b.x.y": () => addLabel("b", "2") });
    await f.chain().admit(f.attrs());
    assert.deepEqual(f.calls.map((c) => c.name), ["b.x.y", "a.x.y"]);
  });

  it("runs the built-in mutating plugins again when a webhook changed the object, and only then", async () => {
    const seen: Record<string, string>[] = [];
    const builtin: AdmissionPlugin = { name: "Builtin", admit: (a) => { seen.push({ ...a.object.metadata.labels }); } };
    const f = fixture([{ name: "b.x.y" }], { "b.x.y": (r) => (r.request.object!.metadata.labels!.b ? { allowed: true } : addLabel("b", "2")) });
    await f.chain(builtin).admit(f.attrs());
    assert.deepEqual(seen, [{}, { b: "2" }]);
    assert.deepEqual(f.calls.map((c) => c.name), ["b.x.y"], "a webhook that is Never is not called again");
    seen.length = 0;
    await f.chain(builtin).admit(f.attrs({ object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "ns", labels: { b: "2" } } } }));
    assert.deepEqual(seen, [{ b: "2" }], "no webhook changed the object: one round");
  });

  it("reinvokes an IfNeeded webhook when the built-in plugins' second run changed the object", async () => {
    const builtin: AdmissionPlugin = { name: "Builtin", admit: (a) => { if (a.object.metadata.labels?.b) a.object.metadata.labels.seen = "b"; } };
    const f = fixture([{ name: "b.x.y" }, { name: "a.x.y", reinvocationPolicy: "IfNeeded" }], { "a.x.y": () => ({ allowed: true }), "b.x.y": () => addLabel("b", "2") });
    const a = f.attrs();
    await f.chain(builtin).admit(a);
    assert.deepEqual(f.calls, [{ name: "b.x.y", labels: {} }, { name: "a.x.y", labels: { b: "2" } }, { name: "a.x.y", labels: { b: "2", seen: "b" } }]);
    assert.deepEqual(a.object.metadata.labels, { b: "2", seen: "b" });
  });

  it("a webhook that matches only in the second round is not called for the first time there", async () => {
    const builtin: AdmissionPlugin = { name: "Builtin", admit: (a) => { if (a.object.metadata.labels?.b) a.object.metadata.labels.late = "yes"; } };
    const f = fixture([{ name: "b.x.y" }, { name: "late.x.y", reinvocationPolicy: "IfNeeded", objectSelector: { matchLabels: { late: "yes" } } }],
      { "b.x.y": () => addLabel("b", "2"), "late.x.y": () => ({ allowed: true }) });
    await f.chain(builtin).admit(f.attrs());
    assert.deepEqual(f.calls.map((c) => c.name), ["b.x.y"]);
  });

  it("fails closed with a 500 for Fail and goes on for Ignore", async () => {
    const fail = fixture([{ name: "down.x.y" }], { "down.x.y": () => new Error("failed to call webhook: boom") });
    await assert.rejects(fail.plugin.admit(fail.attrs()), (e) => e instanceof ApiError && e.code === 500
      && e.message === 'Internal error occurred: failed calling webhook "down.x.y": failed to call webhook: boom');
    const ignore = fixture([{ name: "down.x.y", failurePolicy: "Ignore" }, { name: "b.x.y" }], { "down.x.y": () => new Error("boom"), "b.x.y": () => addLabel("b", "2") });
    const a = ignore.attrs();
    await ignore.plugin.admit(a);
    assert.equal(a.object.metadata.labels!.b, "2");
    assert.equal(ignore.annotations["failed-open.mutation.webhook.admission.k8s.io/round_0_index_0"], "down.x.y");
  });

  it("a denial is the answer whatever the failurePolicy", async () => {
    const f = fixture([{ name: "no.x.y", failurePolicy: "Ignore" }], { "no.x.y": () => ({ allowed: false, status: { code: 403, message: "nope" } }) });
    await assert.rejects(f.plugin.admit(f.attrs()), (e) => e instanceof ApiError && e.code === 403 && e.message === 'admission webhook "no.x.y" denied the request: nope');
  });

  it("refuses a dry run for a webhook with side effects before calling it", async () => {
    const f = fixture([{ name: "fx.x.y", sideEffects: "Some" }], { "fx.x.y": () => ({ allowed: true }) });
    await assert.rejects(f.plugin.admit(f.attrs({ dryRun: true })), (e) => e instanceof ApiError && e.code === 400 && e.message === 'admission webhook "fx.x.y" does not support dry run');
    assert.equal(f.calls.length, 0);
    await f.plugin.admit(f.attrs());
    assert.equal(f.calls.length, 1);
  });

  it("a patch on DELETE is an error; a patch that breaks the kind's types too", async () => {
    const del = fixture([{ name: "p.x.y" }], { "p.x.y": () => addLabel("a", "1") });
    const a = del.attrs({ operation: "DELETE" });
    a.oldObject = a.object;
    await assert.rejects(del.plugin.admit(a), /attempted to modify the object, which is not supported for this operation/);
    const bad = fixture([{ name: "p.x.y" }], { "p.x.y": () => ({ allowed: true, patch: [{ op: "add", path: "/data", value: 7 }] }) });
    await assert.rejects(bad.plugin.admit(bad.attrs()), (e) => e instanceof ApiError && e.code === 500);
  });

  it("is never called for webhook configurations", async () => {
    const f = fixture([{ name: "p.x.y", rules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: ["*"] } as never] }], { "p.x.y": () => ({ allowed: false }) });
    const info = builtinResources.find((r) => r.resource === "mutatingwebhookconfigurations")!;
    await f.plugin.admit(f.attrs({ info, namespace: "", object: { metadata: { name: "c" } } }));
    assert.equal(f.calls.length, 0);
  });
});
