/**
 * Authorization as upstream's authorizer.Authorizer: the request's attributes
 * in, a decision out. Authorizers are chained (Node, then RBAC); the first
 * that allows or denies decides, and no opinion from all of them is a denial.
 */
import type { UserInfo } from "../authentication/user-info.js";

/** What a request asks to do (upstream's authorizer.Attributes). */
export interface Attributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection, or a special verb (impersonate, bind, escalate, approve, use); for non-resource requests the lower-case HTTP method. */
  verb: string;
  /** True for /api and /apis requests on a resource, false for /healthz, /version, discovery roots and the like. */
  resourceRequest: boolean;
  /** The request's path, for non-resource requests. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export type Decision = "Allow" | "Deny" | "NoOpinion";

export interface AuthorizerResult {
  decision: Decision;
  /** Why, for the Forbidden message and SubjectAccessReview's status.reason. */
  reason: string;
}

export interface Authorizer {
  /** Synchronous by contract: authorizers decide from caches that follow watches, so a request never waits on storage. */
  authorize(attrs: Attributes): AuthorizerResult;
}

/** Upstream's rbacv1 PolicyRule as SelfSubjectRulesReview reports it. */
export interface ResourceRule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }
export interface NonResourceRule { verbs: string[]; nonResourceURLs?: string[] }

/** What a user may do in a namespace, for SelfSubjectRulesReview (upstream's authorizer.RuleResolver). */
export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean; evaluationError?: string };
}
