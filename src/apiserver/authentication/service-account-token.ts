/**
 * Service-account JWTs as credentials (upstream's pkg/serviceaccount JWT
 * authenticator with its bound and legacy validators).
 *
 * A bearer token that is not a JWT, or whose issuer is neither ours nor the
 * legacy one, is not ours: undefined, and the next authenticator is tried. A
 * token of our issuer that fails any check (signature, audience, time, the
 * objects it is bound to) is a 401: nothing else could accept it.
 *
 * Bound tokens live as long as exp says and as long as what they are bound to:
 * the ServiceAccount (same uid), and the pod, secret or node named in them
 * (same uid; a pod being deleted for longer than the leeway no longer counts).
 * Legacy tokens live as long as their Secret holds them.
 *
 * Successes are cached (token-cache.ts: 10 s, keyed by an HMAC of the token,
 * never the token), as upstream's kube-apiserver caches its token
 * authenticators' results; failures are not. A cached result ends early
 * when the token expires or an object it is bound to passes its deletion
 * leeway, and is dropped at once when the server's watch sees one of those
 * objects change or go (invalidate()), so deleting a pod refuses its tokens
 * as promptly as without the cache. What is left is upstream's accepted
 * staleness, bounded by the TTL: a result may be served up to 10 s after a
 * change this server's watch has not delivered yet.
 */
import { compactVerify, decodeProtectedHeader } from "jose";
import type { KeyObject } from "node:crypto";
import type { Node, Pod, Secret, ServiceAccount } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../api/errors.js";
import { TokenCache, type Cacheable, type TokenCacheOptions } from "./token-cache.js";
import { AUTHENTICATED_GROUP, SERVICE_ACCOUNTS_GROUP, type TokenAuthenticator, type UserInfo } from "./user-info.js";
import {
  LEGACY_ISSUER, SERVICE_ACCOUNT_ISSUER, serviceAccountUsername, type BoundPrivateClaims,
} from "../../pki/index.js";

/** Upstream's user.Info extra keys for service accounts. */
export const POD_NAME_KEY = "authentication.kubernetes.io/pod-name";
export const POD_UID_KEY = "authentication.kubernetes.io/pod-uid";
export const NODE_NAME_KEY = "authentication.kubernetes.io/node-name";
export const NODE_UID_KEY = "authentication.kubernetes.io/node-uid";
export const CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id";
/** Labels the legacy-token cleaner puts on Secrets (LegacyServiceAccountTokenCleanUp). */
export const LEGACY_TOKEN_LAST_USED_LABEL = "kubernetes.io/legacy-token-last-used";
export const LEGACY_TOKEN_INVALID_SINCE_LABEL = "kubernetes.io/legacy-token-invalid-since";

/** go-jose's DefaultLeeway: clocks may differ by a minute. */
const LEEWAY_SECONDS = 60;

/** Reads of the objects tokens are bound to; undefined when they do not exist. The server backs them with its store or caches. */
export interface ServiceAccountTokenGetters {
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  getNode(name: string): Promise<Node | undefined>;
}

export interface ServiceAccountTokenAuthenticatorOptions extends ServiceAccountTokenGetters {
  /** Public keys that may have signed a token (the first is the current signing key). */
  keys: KeyObject[];
  /** Accepted issuers of bound tokens (upstream's --service-account-issuer, repeatable). */
  issuers?: string[];
  /** The API's own audiences (upstream's --api-audiences, default the issuer): what a token must be meant for to call this API. */
  apiAudiences?: string[];
  /** Whether Secret-based tokens are accepted (upstream's --service-account-lookup path for the legacy issuer). Default true. */
  legacy?: boolean;
  /** Records that a legacy token was used today (upstream labels its Secret kubernetes.io/legacy-token-last-used). */
  markLegacyTokenUsed?(secret: Secret, date: string): Promise<void>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** The result cache (default: successes for 10 s); false for none. */
  cache?: Omit<TokenCacheOptions, "now"> | false;
}

/** The objects a token can be bound to, as invalidate() names them. */
export type BoundResource = "serviceaccounts" | "pods" | "secrets" | "nodes";
const dependency = (resource: BoundResource, namespace: string | undefined, name: string) => `${resource}/${namespace ?? ""}/${name}`;

/** A validated token: who it is, until when that holds at most, and what it was checked against. */
interface Validated { user: UserInfo; validUntil?: number; dependsOn: string[] }

/**
 * A token of ours that is not valid. The client sees upstream's plain 401
 * "Unauthorized"; `why` is what TokenReview reports and logs may record.
 */
export class InvalidTokenError extends ApiError {
  constructor(readonly why: string) {
    super(401, "Unauthorized", "Unauthorized");
  }
}

export interface ServiceAccountAuthentication {
  user: UserInfo;
  /** The audiences the token was accepted for (the intersection with those asked for). */
  audiences: string[];
}

interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  "kubernetes.io"?: BoundPrivateClaims;
  [legacyClaim: string]: unknown;
}

export class ServiceAccountTokenAuthenticator implements TokenAuthenticator {
  private readonly issuers: Set<string>;
  private readonly apiAudiences: string[];
  private readonly now: () => number;
  private readonly cache?: TokenCache<ServiceAccountAuthentication>;

  constructor(private readonly options: ServiceAccountTokenAuthenticatorOptions) {
    const issuers = options.issuers?.length ? options.issuers : [SERVICE_ACCOUNT_ISSUER];
    this.issuers = new Set(issuers);
    this.apiAudiences = options.apiAudiences?.length ? options.apiAudiences : [issuers[0]!];
    this.now = options.now ?? Date.now;
    if (options.cache !== false) this.cache = new TokenCache({ ...options.cache, now: this.now });
  }

  /** An object tokens may be bound to changed or went away: results that relied on it are checked again. */
  invalidate(resource: BoundResource, namespace: string | undefined, name: string): void {
    this.cache?.invalidate(dependency(resource, namespace, name));
  }

  async authenticateToken(token: string, audiences?: string[]): Promise<UserInfo | undefined> {
    return (await this.authenticate(token, audiences?.length ? audiences : undefined))?.user;
  }

  /**
   * Authenticates for the given audiences (TokenReview's spec.audiences; the
   * API's audiences for a request). Undefined: not a token of ours.
   */
  async authenticate(token: string, audiences: string[] = this.apiAudiences): Promise<ServiceAccountAuthentication | undefined> {
    if (!this.cache) return (await this.check(token, audiences))?.value;
    return this.cache.lookup(token, audiences, () => this.check(token, audiences));
  }

  private async check(token: string, audiences: string[]): Promise<Cacheable<ServiceAccountAuthentication> | undefined> {
    const unverified = peekPayload(token);
    if (!unverified || typeof unverified.iss !== "string") return undefined;
    const legacy = unverified.iss === LEGACY_ISSUER;
    if (legacy ? this.options.legacy === false : !this.issuers.has(unverified.iss)) return undefined;

    const payload = await this.verifySignature(token);
    // The issuer was read before the signature was checked; read it again from what was signed.
    if (payload.iss !== unverified.iss) throw new InvalidTokenError(`token issuer "${payload.iss}" is invalid`);

    let tokenAudiences = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    // Tokens without an audience (legacy ones) are meant for this API.
    if (tokenAudiences.length === 0) tokenAudiences = this.apiAudiences;
    const accepted = tokenAudiences.filter((a) => audiences.includes(a));
    if (accepted.length === 0) {
      throw new InvalidTokenError(`token audiences ${goList(tokenAudiences)} is invalid for the target audiences ${goList(audiences)}`);
    }
    const { user, validUntil, dependsOn } = legacy ? await this.validateLegacy(token, payload) : await this.validateBound(payload);
    return { value: { user, audiences: accepted }, expiresAt: validUntil, dependsOn };
  }

  private async verifySignature(token: string): Promise<JwtPayload> {
    let kid: string | undefined;
    try { kid = decodeProtectedHeader(token).kid; } catch { /* compactVerify reports it */ }
    const errors: string[] = [];
    for (const key of this.options.keys) {
      try {
        const { payload } = await compactVerify(token, key, { algorithms: ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] });
        const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
        if (!claims || typeof claims !== "object" || Array.isArray(claims)) throw new Error("claims are not a JSON object");
        return claims as JwtPayload;
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new InvalidTokenError(errors.length ? errors.join(", ") : `no key to verify a token with kid ${kid ?? ""}`);
  }

  /** Upstream's validator.Validate for bound tokens. */
  private async validateBound(claims: JwtPayload): Promise<Validated> {
    const k8s = claims["kubernetes.io"];
    if (!k8s || typeof k8s !== "object" || !k8s.serviceaccount) throw new InvalidTokenError("service account token claims could not be validated due to unexpected private claim");
    const nowSeconds = this.now() / 1000;
    if (typeof claims.exp === "number" && nowSeconds - LEEWAY_SECONDS > claims.exp) throw new InvalidTokenError("service account token has expired");
    if (typeof claims.nbf === "number" && nowSeconds + LEEWAY_SECONDS < claims.nbf) throw new InvalidTokenError("service account token is not valid yet");
    if (typeof claims.iat === "number" && nowSeconds + LEEWAY_SECONDS < claims.iat) throw new InvalidTokenError("service account token is issued in the future");

    // Objects deleted longer ago than the leeway no longer vouch for the token.
    const deletedTooLongAgo = (o: { metadata?: { deletionTimestamp?: string } }) =>
      Boolean(o.metadata?.deletionTimestamp) && Date.parse(o.metadata!.deletionTimestamp!) < this.now() - LEEWAY_SECONDS * 1000;
    const namespace = k8s.namespace ?? "";
    // Until when the answer holds without any change: the expiry, and each bound object's deletion, with the leeway.
    let validUntil = typeof claims.exp === "number" ? (claims.exp + LEEWAY_SECONDS) * 1000 : Infinity;
    const dependsOn: string[] = [];
    const relyOn = (resource: BoundResource, name: string, o: { metadata?: { deletionTimestamp?: string } }) => {
      dependsOn.push(dependency(resource, resource === "nodes" ? undefined : namespace, name));
      if (o.metadata?.deletionTimestamp) validUntil = Math.min(validUntil, Date.parse(o.metadata.deletionTimestamp) + LEEWAY_SECONDS * 1000);
    };
    const saRef = k8s.serviceaccount;
    const sa = await this.options.getServiceAccount(namespace, saRef.name);
    if (!sa) throw new InvalidTokenError(`serviceaccounts "${saRef.name}" not found`);
    if (deletedTooLongAgo(sa)) throw new InvalidTokenError(`service account ${namespace}/${saRef.name} has been deleted`);
    if (sa.metadata?.uid !== saRef.uid) throw new InvalidTokenError(`service account UID (${sa.metadata?.uid ?? ""}) does not match claim (${saRef.uid})`);
    relyOn("serviceaccounts", saRef.name, sa);

    if (k8s.secret) {
      const secret = await this.options.getSecret(namespace, k8s.secret.name);
      if (!secret || deletedTooLongAgo(secret)) throw new InvalidTokenError("service account token has been invalidated");
      if (secret.metadata?.uid !== k8s.secret.uid) throw new InvalidTokenError(`secret UID (${secret.metadata?.uid ?? ""}) does not match service account secret ref claim (${k8s.secret.uid})`);
      relyOn("secrets", k8s.secret.name, secret);
    }
    const extra: Record<string, string[]> = {};
    if (k8s.pod) {
      const pod = await this.options.getPod(namespace, k8s.pod.name);
      if (!pod || deletedTooLongAgo(pod)) throw new InvalidTokenError("service account token has been invalidated");
      if (pod.metadata?.uid !== k8s.pod.uid) throw new InvalidTokenError(`pod UID (${pod.metadata?.uid ?? ""}) does not match service account pod ref claim (${k8s.pod.uid})`);
      relyOn("pods", k8s.pod.name, pod);
      if (k8s.pod.name && k8s.pod.uid) {
        extra[POD_NAME_KEY] = [k8s.pod.name];
        extra[POD_UID_KEY] = [k8s.pod.uid];
      }
    }
    if (typeof claims.jti === "string" && claims.jti) extra[CREDENTIAL_ID_KEY] = [`JTI=${claims.jti}`];
    if (k8s.node) {
      // A pod-bound token only reports its pod's node; a node-bound token lives as long as the node.
      if (!k8s.pod) {
        const node = await this.options.getNode(k8s.node.name);
        if (!node) throw new InvalidTokenError("service account token has been invalidated");
        if (node.metadata?.uid !== k8s.node.uid) throw new InvalidTokenError(`node UID (${node.metadata?.uid ?? ""}) does not match service account node ref claim (${k8s.node.uid})`);
        relyOn("nodes", k8s.node.name, node);
      }
      if (k8s.node.name) {
        extra[NODE_NAME_KEY] = [k8s.node.name];
        if (k8s.node.uid) extra[NODE_UID_KEY] = [k8s.node.uid];
      }
    }
    return { user: serviceAccountUser(namespace, saRef.name, saRef.uid, extra), validUntil, dependsOn };
  }

  /** Upstream's legacyValidator with lookup: the token must still be the one its Secret holds. */
  private async validateLegacy(token: string, claims: JwtPayload): Promise<Validated> {
    const claim = (k: string) => (typeof claims[`kubernetes.io/serviceaccount/${k}`] === "string" ? claims[`kubernetes.io/serviceaccount/${k}`] as string : "");
    if (!claims.sub) throw new InvalidTokenError("sub claim is missing");
    const namespace = claim("namespace");
    if (!namespace) throw new InvalidTokenError("namespace claim is missing");
    const secretName = claim("secret.name");
    if (!secretName) throw new InvalidTokenError("secretName claim is missing");
    const saName = claim("service-account.name");
    if (!saName) throw new InvalidTokenError("serviceAccountName claim is missing");
    const saUid = claim("service-account.uid");
    if (!saUid) throw new InvalidTokenError("serviceAccountUID claim is missing");
    if (claims.sub !== serviceAccountUsername(namespace, saName)) throw new InvalidTokenError("sub claim is invalid");

    const secret = await this.options.getSecret(namespace, secretName);
    if (!secret || secret.metadata?.deletionTimestamp) throw new InvalidTokenError("token has been invalidated");
    const stored = secret.data?.token ? Buffer.from(secret.data.token, "base64").toString("utf8") : "";
    if (stored !== token) throw new InvalidTokenError("token does not match server's copy");
    const sa = await this.options.getServiceAccount(namespace, saName);
    if (!sa) throw new InvalidTokenError(`serviceaccounts "${saName}" not found`);
    if (sa.metadata?.deletionTimestamp) throw new InvalidTokenError("service account has been deleted");
    if (sa.metadata?.uid !== saUid) throw new InvalidTokenError(`service account UID (${sa.metadata?.uid ?? ""}) does not match claim (${saUid})`);
    if (secret.metadata?.labels?.[LEGACY_TOKEN_INVALID_SINCE_LABEL]) {
      throw new InvalidTokenError(`the token in secret ${namespace}/${secretName} for service account ${namespace}/${saName} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '${LEGACY_TOKEN_INVALID_SINCE_LABEL}' label from the secret to temporarily allow use of this token`);
    }
    const today = new Date(this.now()).toISOString().slice(0, 10);
    if (this.options.markLegacyTokenUsed && secret.metadata?.labels?.[LEGACY_TOKEN_LAST_USED_LABEL] !== today) {
      // Bookkeeping only: a failed label write never refuses the request.
      await this.options.markLegacyTokenUsed(secret, today).catch(() => undefined);
    }
    return { user: serviceAccountUser(namespace, saName, saUid, {}), dependsOn: [dependency("secrets", namespace, secretName), dependency("serviceaccounts", namespace, saName)] };
  }
}

/** Upstream's ServiceAccountInfo.UserInfo, with system:authenticated as the authenticator chain adds it. */
export function serviceAccountUser(namespace: string, name: string, uid: string, extra: Record<string, string[]>): UserInfo {
  const user: UserInfo = {
    username: serviceAccountUsername(namespace, name), uid,
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`, AUTHENTICATED_GROUP],
  };
  if (Object.keys(extra).length) user.extra = extra;
  return user;
}

/** The payload of a compact JWS, unverified: only to learn whether the token is ours. */
function peekPayload(token: string): JwtPayload | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return payload && typeof payload === "object" && !Array.isArray(payload) ? payload as JwtPayload : undefined;
  } catch {
    return undefined;
  }
}

/** Go's %q of a []string, as upstream's messages print audiences. */
const goList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(" ")}]`;
