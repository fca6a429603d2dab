/**
 * TokenReview and SelfSubjectReview: questions to the authenticator,
 * answered and never stored (`kubectl auth whoami` asks the second).
 */
import type { SelfSubjectReview, TokenReview, UserInfo as ApiUserInfo } from "kubernetes-types/authentication/v1.js";
import { ApiError, invalid } from "../../../api/errors.js";
import type { UserInfo } from "../../authentication/user-info.js";

function apiUser(u: UserInfo): ApiUserInfo {
  const out: ApiUserInfo = { username: u.username, groups: u.groups };
  if (u.uid) out.uid = u.uid;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

export function selfSubjectReview(user: UserInfo): SelfSubjectReview {
  return { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview", metadata: { creationTimestamp: null } as never, status: { userInfo: apiUser(user) } };
}

/** Authenticates spec.token as a request bearing it would be; an invalid token is a status, not an error. */
export async function tokenReview(body: TokenReview, authenticate: (token: string, audiences?: string[]) => Promise<UserInfo | undefined>): Promise<TokenReview> {
  const token = body.spec?.token;
  if (!token) throw invalid("TokenReview", "authentication.k8s.io", "", [{ type: "FieldValueRequired", field: "spec.token", detail: "" }]);
  const out: TokenReview = { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: { creationTimestamp: null } as never, spec: body.spec, status: {} };
  try {
    // A token is reviewed for the audiences asked about (a relying party's own), else for this API.
    const user = await authenticate(token, body.spec.audiences?.length ? body.spec.audiences : undefined);
    out.status = user ? { authenticated: true, user: apiUser(user), audiences: body.spec.audiences } : { authenticated: false };
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 401) throw err;
    // Why the token failed (a service-account token's InvalidTokenError says), as upstream's status.error; the request itself only ever hears "Unauthorized".
    const why = (err as { why?: unknown }).why;
    out.status = { authenticated: false, error: typeof why === "string" ? why : err.message };
  }
  return out;
}
