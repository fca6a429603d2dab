/**
 * The create-only resources that are questions, answered from the request
 * and never stored: access reviews and authentication reviews, keyed by
 * `group/resource`.
 */
import type { UserInfo } from "../authentication/user-info.js";
import type { Authorizer, RuleResolver } from "../authorization/authorizer.js";
import {
  localSubjectAccessReview, selfSubjectAccessReview, selfSubjectRulesReview, subjectAccessReview,
} from "./authorization/access-reviews.js";
import { selfSubjectReview, tokenReview } from "./authentication/reviews.js";

export interface ReviewContext {
  user: UserInfo;
  /** The namespace of the request's path ("" for cluster-scoped). */
  namespace: string;
  authorizer: Authorizer;
  rules: RuleResolver;
  authenticateToken(token: string, audiences?: string[]): Promise<UserInfo | undefined>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each review decodes its own kind from the body
type Review = (body: any, ctx: ReviewContext) => unknown;

export const reviewResources: Record<string, Review> = {
  "authorization.k8s.io/subjectaccessreviews": (body, ctx) => subjectAccessReview(body, ctx.authorizer),
  "authorization.k8s.io/localsubjectaccessreviews": (body, ctx) => localSubjectAccessReview(body, ctx.namespace, ctx.authorizer),
  "authorization.k8s.io/selfsubjectaccessreviews": (body, ctx) => selfSubjectAccessReview(body, ctx.user, ctx.authorizer),
  "authorization.k8s.io/selfsubjectrulesreviews": (body, ctx) => selfSubjectRulesReview(body, ctx.user, ctx.rules),
  "authentication.k8s.io/selfsubjectreviews": (_body, ctx) => selfSubjectReview(ctx.user),
  "authentication.k8s.io/tokenreviews": (body, ctx) => tokenReview(body, ctx.authenticateToken),
};
