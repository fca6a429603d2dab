import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinResources } from "../../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject } from "../../admission.js";
import { toStatusError } from "./invoke.js";
import { admissionRequest, reviewVersionFor, verifyAdmissionResponse } from "./review.js";
import type { WebhookEntry } from "./types.js";

const hpa = (version: string) => builtinResources.find((r) => r.group === "autoscaling" && r.version === version && r.resource === "horizontalpodautoscalers")!;
const entry = { hook: { name: "h.example.com" }, configuration: "c", key: "c/h.example.com" } as WebhookEntry;
const attrs = (a: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  info: hpa("v2"), operation: "UPDATE", object: { metadata: { name: "web", labels: { a: "b" } } }, oldObject: { metadata: { name: "web" } },
  namespace: "default", name: "web", subresource: "", user: { username: "alice", groups: ["dev"] }, dryRun: false, addWarning: () => {},
  options: { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1" }, ...a,
});

describe("AdmissionReview request", () => {
  it("names the webhook's resource and the request's own", () => {
    const r = admissionRequest({ entry, resource: hpa("v1"), kind: { group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler" } }, attrs(), { converted: true } as Partial<AdmissionObject> as AdmissionObject, undefined);
    assert.deepEqual(r.resource, { group: "autoscaling", version: "v1", resource: "horizontalpodautoscalers" });
    assert.deepEqual(r.requestResource, { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers" });
    assert.deepEqual(r.requestKind, { group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler" });
    assert.deepEqual(r.object, { converted: true });
    assert.equal(r.oldObject, null);
    assert.equal(r.subResource, undefined);
    assert.deepEqual(r.userInfo, { username: "alice", groups: ["dev"] });
    assert.equal(r.options?.kind, "UpdateOptions");
  });
  it("has no new object on DELETE", () => {
    const a = attrs({ operation: "DELETE" });
    const r = admissionRequest({ entry, resource: a.info, kind: { group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler" } }, a, a.object, a.oldObject);
    assert.equal(r.object, null);
    assert.deepEqual(r.oldObject, { metadata: { name: "web" } });
  });
  it("speaks the first version the webhook lists that the server knows", () => {
    assert.equal(reviewVersionFor(["v2", "v1beta1", "v1"]), "v1beta1");
    assert.equal(reviewVersionFor(["v1"]), "v1");
  });
});

describe("AdmissionReview response", () => {
  const ok = (response: object, apiVersion = "admission.k8s.io/v1") => ({ apiVersion, kind: "AdmissionReview", response: { uid: "u1", ...response } });
  const error = (version: string, mutating: boolean, body: unknown) => {
    try { verifyAdmissionResponse(version, "u1", mutating, body); return "ok"; } catch (e) { return (e as Error).message; }
  };
  it("checks what upstream checks", () => {
    assert.equal(error("v1", true, {}), "webhook response was absent");
    assert.equal(error("v1", true, { response: { uid: "u1", allowed: true } }), "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=");
    assert.equal(error("v1", true, ok({ uid: "u2", allowed: true })), 'expected response.uid="u1", got "u2"');
    assert.equal(error("v1", true, ok({ allowed: true, patch: "W10=" })), "webhook returned response.patch but not response.patchType");
    assert.equal(error("v1", false, ok({ allowed: true, patch: "W10=", patchType: "JSONPatch" })), "validating webhook may not return response.patch");
    assert.equal(error("v1", true, ok({ allowed: true, patch: "W10=", patchType: "MergePatch" })), 'webhook returned invalid response.patchType of "MergePatch"');
    assert.equal(error("v1beta1", true, { response: { allowed: true } }), "ok", "v1beta1 answers are not held to the uid and kind");
  });
  it("decodes the patch and keeps warnings and annotations", () => {
    const patch = [{ op: "add", path: "/metadata/labels/x", value: "y" }];
    const r = verifyAdmissionResponse("v1", "u1", true, ok({ allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64"), warnings: ["w"], auditAnnotations: { k: "v" } }));
    assert.deepEqual(r.patch, patch);
    assert.deepEqual(r.warnings, ["w"]);
    assert.deepEqual(r.auditAnnotations, { k: "v" });
  });
  it("a denial keeps the webhook's code and reason, 400 at the least", () => {
    const e = toStatusError("h.example.com", { code: 403, reason: "Forbidden", message: "no" });
    assert.deepEqual([e.code, e.reason, e.message], [403, "Forbidden", 'admission webhook "h.example.com" denied the request: no']);
    const bare = toStatusError("h.example.com", undefined);
    assert.deepEqual([bare.code, bare.message], [400, 'admission webhook "h.example.com" denied the request without explanation']);
    assert.equal(toStatusError("h.example.com", { code: 200, reason: "Nope" }).message, 'admission webhook "h.example.com" denied the request: Nope');
  });
});
