import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValidatingWebhook } from "kubernetes-types/admissionregistration/v1.js";
import { builtinResources } from "../../../../api/resources.js";
import { ApiError } from "../../../../api/errors.js";
import type { AdmissionAttributes } from "../../admission.js";
import type { AdmissionReviewRequest } from "../webhook/review.js";

/** An AdmissionReview as the webhook receives it. */
type Review = { request: AdmissionReviewRequest };
import { WebhookCallError } from "../webhook/index.js";
import { ValidatingAdmissionWebhook } from "./index.js";

const configMaps = builtinResources.find((r) => r.group === "" && r.resource === "configmaps")!;

function fixture(hooks: (Partial<ValidatingWebhook> & { name: string })[], answer: (name: string) => Promise<{ allowed: boolean; message?: string } | Error>) {
  let inFlight = 0;
  let most = 0;
  const plugin = new ValidatingAdmissionWebhook({
    configurations: () => [{
      metadata: { name: "c" },
      webhooks: hooks.map((h) => ({
        clientConfig: { url: "https://127.0.0.1/" }, sideEffects: "None", admissionReviewVersions: ["v1"], failurePolicy: "Fail",
        rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] } as never], ...h,
      })),
    }],
    getNamespace: async (name) => ({ metadata: { name } }),
    equivalentResources: () => [configMaps],
    convert: (o) => o,
    services: { resolve: async () => { throw new Error("no services here"); } },
    call: async (name, _cc, _t, body) => {
      const review = JSON.parse(body) as Review;
      inFlight++;
      most = Math.max(most, inFlight);
      const a = await answer(name);
      inFlight--;
      if (a instanceof Error) throw new WebhookCallError(name, a.message);
      return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, allowed: a.allowed, status: { message: a.message } } };
    },
  });
  const attrs: AdmissionAttributes = {
    info: configMaps, operation: "CREATE", object: { metadata: { name: "cm", namespace: "ns" } }, namespace: "ns", name: "cm", subresource: "",
    user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {},
  };
  return { plugin, attrs, most: () => most };
}
const after = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ValidatingAdmissionWebhook", () => {
  it("calls the matching webhooks in parallel", async () => {
    const f = fixture([{ name: "a.x.y" }, { name: "b.x.y" }, { name: "c.x.y" }], async () => { await after(20); return { allowed: true }; });
    await f.plugin.validate(f.attrs);
    assert.equal(f.most(), 3);
  });
  it("answers with the first refusal in calling order, whichever came back first", async () => {
    const f = fixture([{ name: "slow.x.y" }, { name: "fast.x.y" }], async (name) => {
      await after(name === "slow.x.y" ? 30 : 0);
      return { allowed: false, message: name };
    });
    await assert.rejects(f.plugin.validate(f.attrs), (e) => e instanceof ApiError && e.message === 'admission webhook "slow.x.y" denied the request: slow.x.y');
  });
  it("applies each webhook's failurePolicy", async () => {
    const ignore = fixture([{ name: "down.x.y", failurePolicy: "Ignore" }, { name: "ok.x.y" }], async (name) => (name === "down.x.y" ? new Error("boom") : { allowed: true }));
    await ignore.plugin.validate(ignore.attrs);
    const fail = fixture([{ name: "down.x.y" }], async () => new Error("failed to call webhook: boom"));
    await assert.rejects(fail.plugin.validate(fail.attrs), (e) => e instanceof ApiError && e.code === 500 && /failed calling webhook "down\.x\.y"/.test(e.message));
  });
});
