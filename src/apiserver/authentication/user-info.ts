/** Who a request comes from, once authenticated (upstream's user.Info). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  /** Extra attributes (a service-account token's pod name and uid, say), as upstream's user.Info.GetExtra. */
  extra?: Record<string, string[]>;
}

/** Upstream's well-known names. */
export const ANONYMOUS_USER = "system:anonymous";
export const UNAUTHENTICATED_GROUP = "system:unauthenticated";
export const AUTHENTICATED_GROUP = "system:authenticated";
export const MASTERS_GROUP = "system:masters";
export const NODES_GROUP = "system:nodes";
export const NODE_USER_PREFIX = "system:node:";
export const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
export const SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";

/**
 * One way of recognising a request's credentials. Returns undefined when the
 * request carries none of its kind (the next authenticator is tried); throws
 * an ApiError 401 when it carries its kind but they are invalid.
 */
export interface TokenAuthenticator {
  /** audiences: what the token must be meant for (TokenReview's spec.audiences); absent, the API's own. Audience-agnostic authenticators ignore it. */
  authenticateToken(token: string, audiences?: string[]): UserInfo | undefined | Promise<UserInfo | undefined>;
}
