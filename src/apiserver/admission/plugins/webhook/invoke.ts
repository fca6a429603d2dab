/**
 * One call of one webhook for one request, shared by the mutating and
 * validating plugins: the dry-run check, the AdmissionReview in the
 * webhook's version of the object, the call, the answer's checks, its
 * warnings and audit annotations, and a denial turned into the client's
 * error (upstream's ToStatusErr).
 */
import { ApiError, badRequest, type StatusReason } from "../../../../api/errors.js";
import type { AdmissionAttributes, AdmissionObject } from "../../admission.js";
import { WebhookCallError, callWebhook } from "./client.js";
import { admissionRequest, admissionReview, reviewVersionFor, verifyAdmissionResponse, type AdmissionResult } from "./review.js";
import type { WebhookDependencies, WebhookInvocation } from "./types.js";

/** A webhook's denial as the client sees it: the webhook's own status, its code and reason kept, the message prefixed. */
export function toStatusError(webhook: string, status: { [field: string]: unknown } | undefined): ApiError {
  const deniedBy = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const code = typeof status?.code === "number" && status.code >= 400 ? status.code : 400;
  const reason = typeof status?.reason === "string" ? status.reason : "";
  const message = typeof status?.message === "string" && status.message ? `${deniedBy}: ${status.message}`
    : reason ? `${deniedBy}: ${reason}` : `${deniedBy} without explanation`;
  const details = status?.details && typeof status.details === "object" ? status.details : undefined;
  return new ApiError(code, reason as StatusReason, message, details);
}

/** The webhook's version of the request's object (the same one when it matched the request's own version). */
export function versioned(obj: AdmissionObject | undefined, inv: WebhookInvocation, attrs: AdmissionAttributes, deps: Pick<WebhookDependencies, "convert">): AdmissionObject | undefined {
  if (!obj || inv.resource === attrs.info) return obj;
  return deps.convert(obj, attrs.info, inv.resource);
}

/**
 * Calls the webhook. Throws WebhookCallError when it could not be called
 * or answered nonsense (the failurePolicy decides), and an ApiError that
 * is the request's answer when it denied the request or cannot run on a
 * dry run. object is what the webhook is shown as the new object.
 */
export async function invokeWebhook(inv: WebhookInvocation, attrs: AdmissionAttributes, object: AdmissionObject | undefined, deps: WebhookDependencies, mutating: boolean): Promise<AdmissionResult> {
  const hook = inv.entry.hook;
  if (attrs.dryRun && hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") {
    throw badRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
  }
  const type = mutating ? "admit" : "validating";
  const started = performance.now();
  const observe = (rejected: boolean, code: number) => deps.metrics?.observeCall(hook.name, type, attrs.operation, rejected, code, (performance.now() - started) / 1000);
  let result: AdmissionResult;
  try {
    result = await call(inv, attrs, object, deps, mutating);
  } catch (err) {
    const failClosed = hook.failurePolicy !== "Ignore";
    if (err instanceof WebhookCallError) {
      if (failClosed) deps.metrics?.observeRejection(hook.name, type, attrs.operation, "calling_webhook_error", 0);
      else deps.metrics?.observeFailOpen(hook.name, type);
      observe(failClosed, 0);
    } else {
      deps.metrics?.observeRejection(hook.name, type, attrs.operation, "apiserver_internal_error", 0);
      observe(true, 0);
    }
    throw err;
  }
  if (!result.allowed) {
    const denial = toStatusError(hook.name, result.status);
    deps.metrics?.observeRejection(hook.name, type, attrs.operation, "no_error", denial.code);
    observe(true, denial.code);
    throw denial;
  }
  observe(false, 200);
  return result;
}

/** The call and the answer's checks; the answer's warnings and audit annotations recorded, allowed or not. */
async function call(inv: WebhookInvocation, attrs: AdmissionAttributes, object: AdmissionObject | undefined, deps: WebhookDependencies, mutating: boolean): Promise<AdmissionResult> {
  const hook = inv.entry.hook;
  const version = reviewVersionFor(hook.admissionReviewVersions);
  const request = admissionRequest(inv, attrs, object, versioned(attrs.oldObject, inv, attrs, deps));
  const body = JSON.stringify(admissionReview(version, request));
  const answer = await (deps.call ?? callWebhook)(hook.name, hook.clientConfig, hook.timeoutSeconds ?? 10, body, deps.services, deps.agent);
  let result: AdmissionResult;
  try {
    result = verifyAdmissionResponse(version, request.uid, mutating, answer);
  } catch (err) {
    const undecodable = ((err as Error).cause as { undecodable?: boolean } | undefined)?.undecodable;
    throw new WebhookCallError(hook.name, undecodable ? (err as Error).message : `received invalid webhook response: ${(err as Error).message}`);
  }
  for (const [k, v] of Object.entries(result.auditAnnotations)) attrs.addAuditAnnotation?.(`${hook.name}/${k}`, v);
  for (const w of result.warnings) attrs.addWarning(w);
  return result;
}
