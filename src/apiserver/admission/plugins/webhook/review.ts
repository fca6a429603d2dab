/**
 * AdmissionReview on the wire (admission.k8s.io/v1, or v1beta1 for a
 * webhook that lists it first): the request with upstream's fields, and the
 * checks upstream's VerifyAdmissionResponse makes of the answer.
 */
import { randomUUID } from "node:crypto";
import type { Operation as JsonPatchOperation } from "fast-json-patch";
import { groupVersion } from "../../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionOptions } from "../../admission.js";
import type { GroupVersionKind, WebhookInvocation } from "./types.js";

export const REVIEW_VERSIONS = ["v1", "v1beta1"];

/** The first AdmissionReview version the webhook lists that this server speaks (validation makes sure there is one). */
export function reviewVersionFor(versions: string[] | undefined): string {
  return (versions ?? []).find((v) => REVIEW_VERSIONS.includes(v)) ?? "v1";
}

export interface AdmissionReviewRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind: GroupVersionKind;
  requestResource: { group: string; version: string; resource: string };
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: AdmissionObject | null;
  oldObject: AdmissionObject | null;
  dryRun: boolean;
  options: AdmissionOptions | null;
}

/**
 * The request for one invocation. object and oldObject are as the
 * webhook's version shows them (converted by the caller); on DELETE there
 * is no new object, only the one being deleted.
 */
export function admissionRequest(inv: WebhookInvocation, attrs: AdmissionAttributes, object: AdmissionObject | undefined, oldObject: AdmissionObject | undefined): AdmissionReviewRequest {
  const r = inv.resource;
  const requestKind = inv.resource === attrs.info ? inv.kind : { ...inv.kind, group: attrs.info.group, version: attrs.info.version };
  const user = attrs.user;
  const req: AdmissionReviewRequest = {
    uid: randomUUID(),
    kind: inv.kind,
    resource: { group: r.group, version: r.version, resource: r.resource },
    requestKind,
    requestResource: { group: attrs.info.group, version: attrs.info.version, resource: attrs.info.resource },
    operation: attrs.operation,
    userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}) },
    object: attrs.operation === "DELETE" ? null : object ?? null,
    oldObject: oldObject ?? null,
    dryRun: attrs.dryRun,
    options: attrs.options ?? null,
  };
  if (attrs.subresource) { req.subResource = attrs.subresource; req.requestSubResource = attrs.subresource; }
  if (attrs.name) req.name = attrs.name;
  if (attrs.namespace) req.namespace = attrs.namespace;
  return req;
}

export function admissionReview(version: string, request: AdmissionReviewRequest): { kind: "AdmissionReview"; apiVersion: string; request: AdmissionReviewRequest } {
  return { kind: "AdmissionReview", apiVersion: `admission.k8s.io/${version}`, request };
}

/** What a webhook answered, checked. */
export interface AdmissionResult {
  allowed: boolean;
  /** The webhook's Status (meta/v1), as it sent it. */
  status?: { [field: string]: unknown };
  patch?: JsonPatchOperation[];
  auditAnnotations: Record<string, string>;
  warnings: string[];
}

const gvkText = (apiVersion: unknown, kind: unknown) => {
  const av = typeof apiVersion === "string" ? apiVersion : "";
  const slash = av.indexOf("/");
  const [g, v] = slash < 0 ? ["", av] : [av.slice(0, slash), av.slice(slash + 1)];
  return `${g}/${v}, Kind=${typeof kind === "string" ? kind : ""}`;
};

/** Throws an Error saying what is wrong (upstream's wording), which the caller reports as "received invalid webhook response". */
export function verifyAdmissionResponse(version: string, uid: string, mutating: boolean, body: unknown): AdmissionResult {
  const review = (body ?? {}) as { [field: string]: unknown };
  const r = review.response as { [field: string]: unknown } | undefined;
  if (!r || typeof r !== "object") throw new Error("webhook response was absent");
  if (version === "v1") {
    if (review.apiVersion !== groupVersion({ group: "admission.k8s.io", version: "v1" }) || review.kind !== "AdmissionReview") {
      throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${gvkText(review.apiVersion, review.kind)}`);
    }
    if (r.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(r.uid ?? "")}`);
  }
  const patchType = typeof r.patchType === "string" ? r.patchType : "";
  const patchText = typeof r.patch === "string" ? r.patch : "";
  if (patchText && !patchType && version === "v1") throw new Error("webhook returned response.patch but not response.patchType");
  let patch: JsonPatchOperation[] | undefined;
  if (patchText || patchType) {
    if (!mutating) throw new Error("validating webhook may not return response.patch");
    if (version === "v1" && !patchText) throw new Error("webhook returned response.patchType but not response.patch");
    if ((patchType || "JSONPatch") !== "JSONPatch") throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`);
    try {
      patch = JSON.parse(Buffer.from(patchText, "base64").toString("utf8")) as JsonPatchOperation[];
      if (!Array.isArray(patch)) throw new Error("a JSON patch is a list of operations");
    } catch (err) {
      throw new Error(`received undecodable patch in webhook response: ${(err as Error).message}`, { cause: { undecodable: true } });
    }
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries((r.auditAnnotations ?? {}) as Record<string, unknown>)) if (typeof v === "string") annotations[k] = v;
  return {
    allowed: r.allowed === true,
    status: r.status && typeof r.status === "object" ? r.status as { [field: string]: unknown } : undefined,
    patch,
    auditAnnotations: annotations,
    warnings: Array.isArray(r.warnings) ? (r.warnings as unknown[]).filter((w): w is string => typeof w === "string") : [],
  };
}
