/**
 * upstream's audit.k8s.io/v1 Policy and Event, as they appear in a policy
 * file and in the audit log (field names and order of the Go types).
 */

export type Level = "None" | "Metadata" | "Request" | "RequestResponse";
export type Stage = "RequestReceived" | "ResponseStarted" | "ResponseComplete" | "Panic";

export const LEVELS: readonly Level[] = ["None", "Metadata", "Request", "RequestResponse"];
export const STAGES: readonly Stage[] = ["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"];

/** True when level a is at least b (None < Metadata < Request < RequestResponse). */
export function levelAtLeast(a: Level, b: Level): boolean {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b);
}

export interface GroupResources {
  /** "" is the core group. */
  group?: string;
  /** "pods", "pods/log", "*", "*\/status", "pods/*"; empty means every resource of the group. */
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  /** "" matches cluster-scoped resources. */
  namespaces?: string[];
  /** Exact paths, or a prefix ending in "*". */
  nonResourceURLs?: string[];
  omitStages?: Stage[];
  /** Unset: the policy's omitManagedFields. */
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion: "audit.k8s.io/v1";
  kind: "Policy";
  metadata?: { name?: string };
  rules: PolicyRule[];
  omitStages?: Stage[];
  omitManagedFields?: boolean;
}

export interface EventUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** The bounded part of a metav1.Status the event keeps. */
export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code?: number;
}

export interface Event {
  kind: "Event";
  apiVersion: "audit.k8s.io/v1";
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: EventUser;
  impersonatedUser?: EventUser;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  /** Microsecond RFC 3339 (upstream's MicroTime). */
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}
