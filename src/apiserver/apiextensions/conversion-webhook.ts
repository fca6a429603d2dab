/**
 * Upstream's CRD conversion webhook (apiextensions-apiserver's
 * webhookConverter): custom objects that a read or write needs in another
 * version than the one they are in are sent in one ConversionReview (v1 or
 * v1beta1, the first the CRD lists) to the webhook of
 * `spec.conversion.webhook.clientConfig`, reached as admission webhooks are
 * (a URL or a Service's endpoint, verified against caBundle), and what comes
 * back is checked as upstream checks it: the request's uid, Success, one
 * object per object sent, in the desired apiVersion, of the same kind; of
 * the metadata only labels and annotations may change. Every failure is the
 * request's 500, in upstream's words.
 */
import { randomUUID } from "node:crypto";
import type { Agent } from "node:https";
import type { CustomResourceInfo } from "../../api/resources.js";
import { fieldErrorMessage, internalError } from "../../api/errors.js";
import { qualifiedName, validateLabels } from "../../api/validation.js";
import { WebhookCallError, callWebhook, type ServiceResolver } from "../admission/plugins/webhook/index.js";
import type { Obj } from "../registry/object-store.js";

/** A CRD's conversion webhook, as the catalog keeps it. */
export type ConversionWebhook = NonNullable<CustomResourceInfo["conversionWebhook"]>;

export interface ConversionWebhookDependencies {
  services: ServiceResolver;
  agent?: Agent;
  /** How the webhook is called (client.ts's callWebhook; a fake in tests). */
  call?: typeof callWebhook;
}

/** Upstream's fixed timeout for conversion webhooks. */
const CONVERSION_TIMEOUT_SECONDS = 30;
const REVIEW_VERSIONS = ["v1", "v1beta1"];

const gvkText = (apiVersion: string, kind: string) => `${apiVersion}, Kind=${kind}`;

/**
 * The objects in desiredAPIVersion, each one converted by the webhook unless
 * it already is in that version (those are not sent). Throws a 500.
 */
export async function convertWithWebhook(webhook: ConversionWebhook, objects: Obj[], desiredAPIVersion: string, deps: ConversionWebhookDependencies): Promise<Obj[]> {
  const indexes = objects.flatMap((o, i) => (o.apiVersion === desiredAPIVersion ? [] : [i]));
  if (!indexes.length) return objects;
  const toConvert = indexes.map((i) => objects[i]!);
  const first = toConvert[0]!;
  const forWhat = gvkText(String(first.apiVersion), String(first.kind));
  const version = webhook.conversionReviewVersions.find((v) => REVIEW_VERSIONS.includes(v)) ?? "v1";
  const uid = randomUUID();
  const review = { apiVersion: `apiextensions.k8s.io/${version}`, kind: "ConversionReview", request: { uid, desiredAPIVersion, objects: toConvert } };
  let answer: unknown;
  try {
    answer = await (deps.call ?? callWebhook)(`conversion webhook for ${forWhat}`, webhook.clientConfig, CONVERSION_TIMEOUT_SECONDS, JSON.stringify(review), deps.services, deps.agent);
  } catch (err) {
    if (err instanceof WebhookCallError) throw internalError(new Error(`conversion webhook for ${forWhat} failed: ${err.reason.replace(/^failed to call webhook: /, "")}`));
    throw err;
  }
  let converted: Obj[];
  try {
    converted = convertedObjects(answer, uid, version);
  } catch (err) {
    throw internalError(new Error(`conversion webhook for ${forWhat} returned invalid response: ${(err as Error).message}`));
  }
  if (converted.length !== toConvert.length) {
    throw internalError(new Error(`conversion webhook for ${forWhat} returned ${converted.length} objects, expected ${toConvert.length}`));
  }
  const out = objects.slice();
  converted.forEach((c, n) => {
    const original = toConvert[n]!;
    const invalid = (what: string) => internalError(new Error(`conversion webhook for ${forWhat} returned invalid converted object at index ${n}: ${what}`));
    if (c === null || typeof c !== "object" || Array.isArray(c)) throw invalid("expected an object");
    if (c.apiVersion !== desiredAPIVersion) throw invalid(`invalid groupVersion (expected ${desiredAPIVersion}, received ${String(c.apiVersion)})`);
    if (c.kind !== original.kind) throw invalid(`invalid kind (expected ${String(original.kind)}, received ${String(c.kind)})`);
    const problem = metadataProblem(c.metadata);
    if (problem) throw internalError(new Error(`conversion webhook for ${forWhat} returned invalid metadata in object at index ${n}: ${problem}`));
    out[indexes[n]!] = { ...c, metadata: restoredMetadata(original.metadata, c.metadata) };
  });
  return out;
}

/** The response's objects, after upstream's checks of the review itself. */
function convertedObjects(answer: unknown, uid: string, version: string): Obj[] {
  const review = answer as { apiVersion?: unknown; kind?: unknown; response?: { uid?: unknown; convertedObjects?: unknown; result?: { status?: unknown; message?: unknown } } } | null;
  if (!review || typeof review !== "object") throw new Error("expected a ConversionReview");
  const want = `apiextensions.k8s.io/${version}`;
  if (review.apiVersion !== want || review.kind !== "ConversionReview") {
    throw new Error(`expected webhook response of ${want}, Kind=ConversionReview, got ${String(review.apiVersion ?? "")}, Kind=${String(review.kind ?? "")}`);
  }
  const response = review.response;
  if (!response || typeof response !== "object") throw new Error("no response provided");
  if (response.uid !== uid) throw new Error(`expected response uid ${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? "")}`);
  if (response.result?.status !== "Success") {
    const message = typeof response.result?.message === "string" ? response.result.message : "";
    throw new Error(message || `conversion request failed, status ${JSON.stringify(response.result?.status ?? "")}`);
  }
  if (!Array.isArray(response.convertedObjects)) return [];
  return response.convertedObjects as Obj[];
}

/** Why a converted object's metadata cannot be taken: it is not an object, or its labels or annotations are invalid. */
function metadataProblem(metadata: unknown): string | undefined {
  if (metadata === undefined) return undefined;
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return "metadata must be an object";
  const m = metadata as { labels?: unknown; annotations?: unknown };
  if (m.annotations !== undefined && (m.annotations === null || typeof m.annotations !== "object")) return "metadata.annotations must be a map of strings";
  const errs = [
    ...validateLabels("metadata.labels", m.labels as Record<string, unknown> | undefined),
    ...Object.keys(m.annotations ?? {}).flatMap((k) => qualifiedName("metadata.annotations", k.toLowerCase())),
  ];
  return errs.length ? errs.map((e) => `${e.field}: ${fieldErrorMessage(e)}`).join(", ") : undefined;
}

/** Upstream's restoreObjectMeta: the original's metadata, but the webhook's labels and annotations. */
function restoredMetadata(original: Obj["metadata"], converted: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): Obj["metadata"] {
  const m = { ...original };
  delete m.labels;
  delete m.annotations;
  if (converted?.labels) m.labels = converted.labels;
  if (converted?.annotations) m.annotations = converted.annotations;
  return m;
}
