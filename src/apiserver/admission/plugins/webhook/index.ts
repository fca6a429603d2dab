/** The pieces the MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins share (upstream's plugin/webhook/generic, request, errors). */
export { isExemptAdmissionConfigurationResource } from "./exemption.js";
export { webhookEntries } from "./entries.js";
export { shouldCallHook, ruleMatches, matchResource, objectSelectorMatches, namespaceSelectorMatches, kindOf } from "./matching.js";
export { invokeWebhook, versioned, toStatusError } from "./invoke.js";
export { WebhookCallError, callWebhook } from "./client.js";
export { WebhookMetrics, type WebhookType } from "./metrics.js";
export { EndpointServiceResolver, type ServiceResolver, type ServiceReads } from "./service-resolver.js";
export type { WebhookDependencies, WebhookEntry, WebhookInvocation, Webhook, Rule } from "./types.js";
