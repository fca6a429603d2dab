import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertWithWebhook, type ConversionWebhook, type ConversionWebhookDependencies } from "./conversion-webhook.js";
import type { Obj } from "../registry/object-store.js";

const webhook: ConversionWebhook = { clientConfig: { url: "https://127.0.0.1:9443/convert" }, conversionReviewVersions: ["v1beta1", "v1"] };
const v1 = (name: string, extra: Record<string, unknown> = {}): Obj => ({ apiVersion: "stable.example.com/v1", kind: "Backend", metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7" }, spec: { a: 1 }, ...extra });

/** A webhook answering with what respond makes of the review it was sent; sent keeps the reviews. */
function fake(respond: (review: { apiVersion: string; request: { uid: string; desiredAPIVersion: string; objects: Obj[] } }) => unknown) {
  const sent: unknown[] = [];
  const deps: ConversionWebhookDependencies = {
    services: { resolve: async () => { throw new Error("no services"); } } as unknown as ConversionWebhookDependencies["services"],
    call: async (_name, _cc, timeout, body) => {
      assert.equal(timeout, 30);
      const review = JSON.parse(body);
      sent.push(review);
      return respond(review);
    },
  };
  return { deps, sent };
}
const success = (review: { apiVersion: string; request: { uid: string; desiredAPIVersion: string; objects: Obj[] } }, change: (o: Obj) => Obj = (o) => o) =>
  ({ apiVersion: review.apiVersion, kind: "ConversionReview", response: { uid: review.request.uid, result: { status: "Success" }, convertedObjects: review.request.objects.map((o) => change({ ...o, apiVersion: review.request.desiredAPIVersion })) } });
const fails = async (p: Promise<unknown>, message: RegExp) => assert.rejects(p, (e: Error & { code?: number }) => e.code === 500 && message.test(e.message));

describe("the CRD conversion webhook client", () => {
  it("sends only the objects not yet in the desired version, in the first review version the CRD lists, and keeps their order", async () => {
    const { deps, sent } = fake((r) => success(r));
    const mixed = [v1("a"), { ...v1("b"), apiVersion: "stable.example.com/v2" }, v1("c")];
    const out = await convertWithWebhook(webhook, mixed, "stable.example.com/v2", deps);
    assert.deepEqual(out.map((o) => [o.metadata.name, o.apiVersion]), [["a", "stable.example.com/v2"], ["b", "stable.example.com/v2"], ["c", "stable.example.com/v2"]]);
    const review = sent[0] as { apiVersion: string; kind: string; request: { objects: Obj[]; desiredAPIVersion: string } };
    assert.equal(review.apiVersion, "apiextensions.k8s.io/v1beta1");
    assert.equal(review.kind, "ConversionReview");
    assert.deepEqual(review.request.objects.map((o) => o.metadata.name), ["a", "c"]);
  });

  it("calls nothing when every object is in the desired version", async () => {
    const { deps, sent } = fake(() => assert.fail("called"));
    await convertWithWebhook(webhook, [v1("a")], "stable.example.com/v1", deps);
    assert.equal(sent.length, 0);
  });

  it("takes only labels and annotations of the converted metadata", async () => {
    const { deps } = fake((r) => success(r, (o) => ({ ...o, metadata: { name: "renamed", uid: "other", labels: { converted: "yes" } } })));
    const [out] = await convertWithWebhook(webhook, [v1("a", { metadata: { name: "a", namespace: "default", uid: "uid-a", annotations: { old: "x" } } })], "stable.example.com/v2", deps);
    assert.deepEqual(out!.metadata, { name: "a", namespace: "default", uid: "uid-a", labels: { converted: "yes" } });
  });

  it("refuses answers upstream refuses, as a 500 in its words", async () => {
    const objects = [v1("a")];
    const to = "stable.example.com/v2";
    const prefix = "conversion webhook for stable\\.example\\.com/v1, Kind=Backend";
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => ({ ...success(r), response: { ...success(r).response, uid: "wrong" } })).deps), new RegExp(`${prefix} returned invalid response: expected response uid ".+", got "wrong"`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => ({ ...success(r), response: { uid: r.request.uid, result: { status: "Failure", message: "no way" } } })).deps), new RegExp(`${prefix} returned invalid response: no way`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => ({ ...success(r), response: { ...success(r).response, convertedObjects: [] } })).deps), new RegExp(`${prefix} returned 0 objects, expected 1`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => success(r, (o) => ({ ...o, apiVersion: "stable.example.com/v3" }))).deps), new RegExp(`${prefix} returned invalid converted object at index 0: invalid groupVersion \\(expected stable\\.example\\.com/v2, received stable\\.example\\.com/v3\\)`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => success(r, (o) => ({ ...o, kind: "Other" }))).deps), new RegExp(`${prefix} returned invalid converted object at index 0: invalid kind \\(expected Backend, received Other\\)`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => success(r, (o) => ({ ...o, metadata: { labels: { "bad key!": "x" } } }))).deps), new RegExp(`${prefix} returned invalid metadata in object at index 0: metadata\\.labels`));
    await fails(convertWithWebhook(webhook, objects, to, fake((r) => ({ apiVersion: "v1", kind: "Status" })).deps), new RegExp(`${prefix} returned invalid response: expected webhook response of apiextensions\\.k8s\\.io/v1beta1, Kind=ConversionReview`));
  });
});
