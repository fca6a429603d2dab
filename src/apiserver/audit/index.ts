/**
 * Auditing as upstream's --audit-policy-file and --audit-log-path: the policy
 * decides each request's level, the Auditor follows the request through its
 * stages, a backend writes the events.
 */
export { Auditor, auditContextOf, microNow, sourceIPs, type AuditBackend, type AuditContext, type AuditRequest, type AuditorOptions, type ObservableResponse } from "./auditor.js";
export { LogBackend, type LogBackendOptions } from "./log-backend.js";
export { PolicyEvaluator, loadPolicy, validatePolicy, type AuditAttributes, type RequestAuditConfig } from "./policy.js";
export type { Event, EventUser, GroupResources, Level, ObjectReference, Policy, PolicyRule, ResponseStatus, Stage } from "./types.js";
export { auditRequestFrom, requestAttributes, type RawRequest } from "./request-attributes.js";
export { AuditMetrics } from "./metrics.js";
