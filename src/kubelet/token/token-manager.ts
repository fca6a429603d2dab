/**
 * The kubelet's token manager (upstream's pkg/kubelet/token): service-account
 * tokens for projected volumes, asked of the API server through TokenRequest
 * and cached by what was asked (account, audiences, lifetime, bound pod).
 * A cached token is used until 80% of its lifetime has passed or it is 24 h
 * old, with up to 10 s of jitter so that many pods do not refresh at once.
 * When a refresh fails the cached token serves on until it expires; a first
 * fetch that fails is an error ("failed to fetch token: ...").
 */
import type { TokenRequest } from "kubernetes-types/authentication/v1.js";

/** Asks the API server for a token: `POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`. */
export type RequestToken = (namespace: string, serviceAccount: string, request: TokenRequest) => Promise<TokenRequest>;

export interface TokenManagerOptions {
  requestToken: RequestToken;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** A number in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

const MAX_TTL_MS = 24 * 3600 * 1000;
const MAX_JITTER_S = 10;

export class TokenManager {
  private readonly cache = new Map<string, TokenRequest>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** A token for the request: the cached one while it is fresh, else a new one from the API server. */
  async getServiceAccountToken(namespace: string, name: string, request: TokenRequest): Promise<TokenRequest> {
    const key = cacheKey(namespace, name, request);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached;
    let fresh: TokenRequest;
    try {
      fresh = await this.options.requestToken(namespace, name, request);
      if (!fresh?.status?.token) throw new Error("the server returned no token");
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (!cached) throw new Error(`failed to fetch token: ${message}`, { cause: err });
      if (this.expired(cached)) throw new Error(`token ${key} expired and refresh failed: ${message}`, { cause: err });
      return cached;
    }
    this.cache.set(key, fresh);
    return fresh;
  }

  /** Forgets the tokens bound to a pod that is gone (upstream's DeleteServiceAccountToken). */
  deleteServiceAccountToken(podUID: string): void {
    for (const [key, tr] of this.cache) if (tr.spec.boundObjectRef?.uid === podUID) this.cache.delete(key);
  }

  /** Drops expired tokens; the kubelet calls it now and then (upstream: every minute). */
  cleanup(): void {
    for (const [key, tr] of this.cache) if (this.expired(tr)) this.cache.delete(key);
  }

  private expired(tr: TokenRequest): boolean {
    return this.now() >= Date.parse(tr.status!.expirationTimestamp);
  }

  /**
   * Upstream's rule: refresh once the token is older than 24 h, or when less
   * than 20% of its lifetime is left, each less a jitter of up to 10 s.
   */
  requiresRefresh(tr: TokenRequest): boolean {
    const seconds = tr.spec.expirationSeconds;
    if (seconds === undefined) return false;
    const now = this.now();
    const exp = Date.parse(tr.status!.expirationTimestamp);
    const iat = exp - seconds * 1000;
    const jitter = Math.floor(this.random() * MAX_JITTER_S) * 1000;
    if (now > iat + MAX_TTL_MS - jitter) return true;
    return now > exp - Math.floor((seconds * 20) / 100) * 1000 - jitter;
  }
}

function cacheKey(namespace: string, name: string, tr: TokenRequest): string {
  const ref = tr.spec.boundObjectRef;
  return JSON.stringify([name, namespace, tr.spec.audiences ?? [], tr.spec.expirationSeconds ?? null, ref ? [ref.apiVersion, ref.kind, ref.name, ref.uid] : null]);
}
