/**
 * A CRD conversion webhook as an operator ships one: two versions of a
 * custom resource whose fields differ (v1's spec.hostPort "host:port", v2's
 * spec.host and spec.port), a webhook server the test starts on loopback
 * HTTPS converting between them, and kubectl reading and writing either
 * version; lists of objects stored in both versions after the storage
 * version changed; watches; field selectors on each version's selectableFields,
 * matched against the object as that version shows it; and a webhook that fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { startWebhookServer, type WebhookServer } from "../../helpers/webhook-server.js";

interface Backend { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: { hostPort?: string; host?: string; port?: number } }
interface ConversionReview { apiVersion: string; request: { uid: string; desiredAPIVersion: string; objects: Backend[] } }

/** v1 <-> v2, as the operator's webhook does it. */
function convert(o: Backend, to: string): Backend {
  const out: Backend = { ...o, apiVersion: to, spec: {} };
  if (to.endsWith("/v2")) {
    const [host, port] = (o.spec.hostPort ?? "").split(":");
    out.spec = { host, port: Number(port) };
  } else {
    out.spec = { hostPort: `${o.spec.host}:${o.spec.port}` };
  }
  return out;
}

const version = (name: string, storage: boolean, properties: object, selectable: string) => ({
  name, served: true, storage,
  schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties } } } },
  selectableFields: [{ jsonPath: selectable }],
});

describe("CRD conversion webhooks", () => {
  let server: RunningServer;
  let hooks: WebhookServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const reviews: ConversionReview[] = [];
  let failWith: string | undefined;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));

  const crd = (storageVersion: "v1" | "v2", conversion?: object) => JSON.stringify({
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "backends.stable.example.com" },
    spec: {
      group: "stable.example.com", scope: "Namespaced", names: { plural: "backends", singular: "backend", kind: "Backend" },
      versions: [
        version("v1", storageVersion === "v1", { hostPort: { type: "string" } }, ".spec.hostPort"),
        version("v2", storageVersion === "v2", { host: { type: "string" }, port: { type: "integer" } }, ".spec.host"),
      ],
      conversion: conversion ?? { strategy: "Webhook", webhook: { clientConfig: { url: `${hooks.url}/convert`, caBundle: hooks.caBundle }, conversionReviewVersions: ["v1", "v1beta1"] } },
    },
  });
  const backend = (apiVersion: string, name: string, spec: Backend["spec"]) => JSON.stringify({ apiVersion, kind: "Backend", metadata: { name, namespace: "default" }, spec });

  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    hooks = await startWebhookServer();
    hooks.handleReview("/convert", (body) => {
      const review = body as ConversionReview;
      reviews.push(review);
      const { uid, desiredAPIVersion, objects } = review.request;
      const response = failWith
        ? { uid, result: { status: "Failure", message: failWith } }
        : { uid, result: { status: "Success" }, convertedObjects: objects.map((o) => convert(o, desiredAPIVersion)) };
      return { apiVersion: review.apiVersion, kind: "ConversionReview", response };
    });
    await kubectl.ok(["apply", "-f", "-"], { input: crd("v1") });
    await kubectl.ok(["wait", "--for=condition=Established", "crd/backends.stable.example.com", "--timeout=30s"]);
  });
  after(async () => {
    await hooks?.close();
    await server?.[Symbol.asyncDispose]();
  });

  it("refuses a Webhook strategy without a webhook, and a webhook with the None strategy", async () => {
    const noWebhook = await kubectl.run(["apply", "-f", "-"], { input: crd("v1", { strategy: "Webhook" }).replace("backends.stable", "frontends.stable").replaceAll('"backends"', '"frontends"') });
    assert.notEqual(noWebhook.code, 0);
    assert.match(noWebhook.stderr, /spec\.conversion\.webhook\.clientConfig: Required value: required when strategy is set to Webhook/);
    assert.match(noWebhook.stderr, /spec\.conversion\.webhook\.conversionReviewVersions: Required value: must specify one of v1, v1beta1/);
    const stray = await kubectl.run(["apply", "-f", "-"], { input: crd("v1", { strategy: "None", webhook: { clientConfig: { url: "https://127.0.0.1:1/" }, conversionReviewVersions: ["v1"] } }).replace("backends.stable", "frontends.stable").replaceAll('"backends"', '"frontends"') });
    assert.match(stray.stderr, /spec\.conversion\.webhook: Forbidden: should not be set when strategy is not set to Webhook/);
  });

  it("converts an object written in v1 when it is read in v2, and back", async () => {
    await eventually(async () => (await kubectl.run(["apply", "-f", "-"], { input: backend("stable.example.com/v1", "first", { hostPort: "db.internal:5432" }) })).code === 0 || undefined);
    const v2 = await json(["get", "backends.v2.stable.example.com", "first"]);
    assert.equal(v2.apiVersion, "stable.example.com/v2");
    assert.deepEqual(v2.spec, { host: "db.internal", port: 5432 });
    const review = reviews.find((r) => r.request.desiredAPIVersion === "stable.example.com/v2");
    assert.ok(review, "the webhook was asked for v2");
    assert.equal(review!.apiVersion, "apiextensions.k8s.io/v1");
    assert.equal(review!.request.objects[0]!.apiVersion, "stable.example.com/v1");
    // Read in its own version, nothing is sent.
    const before = reviews.length;
    assert.deepEqual((await json(["get", "backends.v1.stable.example.com", "first"])).spec, { hostPort: "db.internal:5432" });
    assert.equal(reviews.length, before);
  });

  it("stores an object written in v2 in the storage version v1, converted by the webhook", async () => {
    const before = reviews.length;
    await kubectl.ok(["apply", "-f", "-"], { input: backend("stable.example.com/v2", "second", { host: "cache", port: 6379 }) });
    assert.ok(reviews.slice(before).some((r) => r.request.desiredAPIVersion === "stable.example.com/v1"), "converted to v1 to be stored");
    assert.deepEqual((await json(["get", "backends.v1.stable.example.com", "second"])).spec, { hostPort: "cache:6379" });
    // An update in v2 goes the same way; the labels a client set stay.
    await kubectl.ok(["label", "backends.v2.stable.example.com", "second", "tier=cache"]);
    const read = await json(["get", "backends.v1.stable.example.com", "second"]);
    assert.equal(read.metadata.labels.tier, "cache");
    assert.deepEqual(read.spec, { hostPort: "cache:6379" });
  });

  it("lists objects stored in two versions, after the storage version changed, in one review per list", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: crd("v2") });
    // Once the server stores in v2, a v2 write reaches the webhook no more.
    await eventually(async () => {
      const before = reviews.length;
      await kubectl.ok(["apply", "-f", "-"], { input: backend("stable.example.com/v2", "third", { host: "queue", port: 5672 }) });
      return reviews.length === before || undefined;
    });
    const before = reviews.length;
    const v1 = await json(["get", "backends.v1.stable.example.com"]);
    assert.deepEqual(Object.fromEntries(v1.items.map((o: Backend) => [o.metadata.name, o.spec.hostPort])), { first: "db.internal:5432", second: "cache:6379", third: "queue:5672" });
    const listed = reviews.slice(before);
    assert.equal(listed.length, 1, "one review for the list");
    assert.deepEqual(listed[0]!.request.objects.map((o) => o.metadata.name), ["third"], "only the object stored in v2 is sent");
    const v2 = await json(["get", "backends.v2.stable.example.com"]);
    assert.deepEqual(Object.fromEntries(v2.items.map((o: Backend) => [o.metadata.name, o.spec])), {
      first: { host: "db.internal", port: 5432 }, second: { host: "cache", port: 6379 }, third: { host: "queue", port: 5672 },
    });
  });

  it("selects by a version's selectableFields as the object reads in that version, whatever version stores it", async () => {
    // first is stored in v1 (no spec.host there), third in v2 (no spec.hostPort).
    assert.equal(await kubectl.ok(["get", "backends.v2.stable.example.com", "--field-selector", "spec.host=db.internal", "-o", "name"]), "backend.stable.example.com/first\n");
    assert.equal(await kubectl.ok(["get", "backends.v1.stable.example.com", "--field-selector", "spec.hostPort=queue:5672", "-o", "name"]), "backend.stable.example.com/third\n");
    assert.equal(await kubectl.ok(["get", "backends.v2.stable.example.com", "--field-selector", "spec.host!=db.internal,spec.host!=cache", "-o", "name"]), "backend.stable.example.com/third\n");
    // A field another version declares is not selectable in this one.
    const other = await kubectl.run(["get", "backends.v1.stable.example.com", "--field-selector", "spec.host=db.internal"]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /field label not supported: spec\.host/);
    // A watch in v1 sees changes written (and stored) in v2 enter and leave its selection.
    const from = JSON.parse(await kubectl.ok(["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/backends"])).metadata.resourceVersion;
    await kubectl.ok(["patch", "backends.v2.stable.example.com", "third", "--type=merge", "-p", JSON.stringify({ spec: { port: 5673 } })]);
    await kubectl.ok(["patch", "backends.v2.stable.example.com", "third", "--type=merge", "-p", JSON.stringify({ spec: { port: 5674 } })]);
    const text = await kubectl.ok(["get", "--raw", `/apis/stable.example.com/v1/namespaces/default/backends?watch=true&timeoutSeconds=2&resourceVersion=${from}&fieldSelector=${encodeURIComponent("spec.hostPort=queue:5673")}`]);
    const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: Backend });
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.spec.hostPort]), [["ADDED", "third", "queue:5673"], ["DELETED", "third", "queue:5674"]]);
    await kubectl.ok(["patch", "backends.v2.stable.example.com", "third", "--type=merge", "-p", JSON.stringify({ spec: { port: 5672 } })]);
  });

  it("converts the events of a watch", async () => {
    const text = await kubectl.ok(["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/backends?watch=true&timeoutSeconds=2"]);
    const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: Backend });
    assert.deepEqual(events.map((e) => [e.type, e.object.apiVersion, e.object.metadata.name, e.object.spec.hostPort]), [
      ["ADDED", "stable.example.com/v1", "first", "db.internal:5432"],
      ["ADDED", "stable.example.com/v1", "second", "cache:6379"],
      ["ADDED", "stable.example.com/v1", "third", "queue:5672"],
    ]);
  });

  it("fails a read that needs a failing webhook with upstream's internal error, and loses nothing", async () => {
    failWith = "the converter is down for maintenance";
    try {
      const r = await kubectl.run(["get", "backends.v1.stable.example.com", "third"]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Internal error occurred: conversion webhook for stable\.example\.com\/v2, Kind=Backend returned invalid response: the converter is down for maintenance/);
    } finally {
      failWith = undefined;
    }
    assert.deepEqual((await json(["get", "backends.v1.stable.example.com", "third"])).spec, { hostPort: "queue:5672" });
  });
});
