/**
 * Upstream's v1 defaults of a webhook (pkg/apis/admissionregistration/v1
 * defaults.go): failurePolicy Fail, matchPolicy Equivalent, empty (match-all)
 * selectors, 10 s timeout, rules of every scope, service port 443; a mutating
 * webhook is not reinvoked. sideEffects and admissionReviewVersions have no
 * default in v1: they are required.
 */
import type { MutatingWebhook, ValidatingWebhook } from "kubernetes-types/admissionregistration/v1.js";
import type { Rule } from "./validation.js";

export function defaultWebhook(hook: ValidatingWebhook | MutatingWebhook): void {
  hook.failurePolicy ??= "Fail";
  hook.matchPolicy ??= "Equivalent";
  hook.namespaceSelector ??= {};
  hook.objectSelector ??= {};
  hook.timeoutSeconds ??= 10;
  for (const rule of (hook.rules ?? []) as Rule[]) rule.scope ??= "*";
  if (hook.clientConfig?.service) hook.clientConfig.service.port ??= 443;
}

export function defaultMutatingWebhook(hook: MutatingWebhook): void {
  defaultWebhook(hook);
  hook.reinvocationPolicy ??= "Never";
}
