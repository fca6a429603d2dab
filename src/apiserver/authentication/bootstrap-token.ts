/**
 * Bootstrap token authentication, as upstream's
 * plugin/pkg/auth/authenticator/token/bootstrap: a bearer token
 * `<id>.<secret>` names the kube-system Secret `bootstrap-token-<id>`; when
 * that Secret is a live bootstrap.kubernetes.io/token whose token-secret
 * matches (compared in constant time) and that is marked
 * usage-bootstrap-authentication, the request is `system:bootstrap:<id>` in
 * `system:bootstrappers` and the groups its auth-extra-groups lists.
 *
 * As upstream, every failure is "not authenticated by this authenticator"
 * (undefined), not an error: the token may still be another authenticator's,
 * and the chain answers 401 when none takes it. Why a token failed is kept
 * out of the response (and out of the logs: it would help guessing).
 */
import { timingSafeEqual } from "node:crypto";
import type { Secret } from "kubernetes-types/core/v1.js";
import {
  BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_SECRET_PREFIX, BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_USER_PREFIX,
  bootstrapTokenExpiration, parseBootstrapToken, secretValue,
} from "../../pki/bootstrap-token.js";
import { AUTHENTICATED_GROUP, BOOTSTRAPPERS_GROUP, type TokenAuthenticator, type UserInfo } from "./user-info.js";

export interface BootstrapTokenAuthenticatorOptions {
  /** Reads a Secret (from an informer's cache, ideally); undefined when there is none. */
  getSecret(namespace: string, name: string): Secret | undefined | Promise<Secret | undefined>;
  now?: () => Date;
}

/** Equal strings, compared in time that depends only on their lengths. */
function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The groups a token's Secret grants, or undefined when auth-extra-groups holds one that is not a bootstrap group. */
export function bootstrapGroups(secret: Secret): string[] | undefined {
  const groups = [BOOTSTRAPPERS_GROUP];
  const raw = secretValue(secret, "auth-extra-groups");
  if (raw) {
    for (const g of raw.split(",").map((s) => s.trim())) {
      if (!BOOTSTRAP_GROUP_PATTERN.test(g)) return undefined;
      if (!groups.includes(g)) groups.push(g);
    }
  }
  return groups;
}

export class BootstrapTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly options: BootstrapTokenAuthenticatorOptions) {}

  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const parsed = parseBootstrapToken(token);
    if (!parsed) return undefined;
    const secret = await this.options.getSecret("kube-system", BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id);
    if (!secret || secret.metadata?.deletionTimestamp) return undefined;
    if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || !secret.data) return undefined;
    if (!constantTimeEqual(secretValue(secret, "token-secret"), parsed.secret)) return undefined;
    if (secretValue(secret, "token-id") !== parsed.id) return undefined;
    const expiration = bootstrapTokenExpiration(secret);
    if (expiration && (this.options.now?.() ?? new Date()).getTime() > expiration.getTime()) return undefined;
    if (secretValue(secret, "usage-bootstrap-authentication") !== "true") return undefined;
    const groups = bootstrapGroups(secret);
    if (!groups) return undefined;
    return { username: BOOTSTRAP_USER_PREFIX + parsed.id, groups: [...groups, AUTHENTICATED_GROUP] };
  }
}
