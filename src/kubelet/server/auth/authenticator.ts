/**
 * Who is asking the kubelet, as upstream's kubelet with
 * `--anonymous-auth=false --client-ca-file --authentication-token-webhook`:
 * a client certificate that the cluster CA signed (CN the user, each O a
 * group), or a bearer token (the Authorization header, or a WebSocket
 * subprotocol `base64url.bearer.authorization.k8s.io.<token>`) that a
 * TokenReview to the API server accepts. TokenReview answers, accepted or
 * not, are kept 2 minutes (KubeletConfiguration's
 * authentication.webhook.cacheTTL); an API server that cannot answer is not
 * remembered. Nothing else gets through: no identity is a 401.
 *
 * Tokens are never kept, logged or sent anywhere but to the API server: the
 * cache is keyed by an HMAC under a key made for this process.
 */
import { createHmac, randomBytes, X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { TokenReview, UserInfo } from "kubernetes-types/authentication/v1.js";
import type { Client, KubeObject } from "../../../client/index.js";
import { TtlCache } from "./ttl-cache.js";

export const AUTHENTICATED_GROUP = "system:authenticated";
export const TOKEN_CACHE_TTL_MS = 2 * 60_000;

const tokenReviews = { group: "authentication.k8s.io", version: "v1", resource: "tokenreviews", namespaced: false };
const WEBSOCKET_TOKEN_PREFIX = "base64url.bearer.authorization.k8s.io.";

export type ReviewClient = Pick<Client, "create">;

/** A user the kubelet knows: the name always set, and system:authenticated among the groups (upstream's AuthenticatedGroupAdder). */
export type KubeletUser = UserInfo & { username: string; groups: string[] };

export class KubeletAuthenticator {
  private readonly hmacKey = randomBytes(32);
  private readonly tokens: TtlCache<KubeletUser | undefined>;
  private readonly certificates = new WeakMap<TLSSocket, KubeletUser | null>();

  constructor(private readonly client: ReviewClient, options: { cacheTtlMs?: number; now?: () => number } = {}) {
    this.tokens = new TtlCache({ ttlMs: () => options.cacheTtlMs ?? TOKEN_CACHE_TTL_MS, now: options.now });
  }

  /**
   * The request's user, or undefined (a 401). A bearer token taken from a
   * WebSocket subprotocol is removed from the request, so that it is not
   * echoed back as the chosen protocol. Throws only when the API server
   * could not review a token.
   */
  async authenticate(req: IncomingMessage): Promise<KubeletUser | undefined> {
    const fromCertificate = this.certificateUser(req.socket as TLSSocket);
    if (fromCertificate) return fromCertificate;
    const token = bearerToken(req);
    if (!token) return undefined;
    const key = createHmac("sha256", this.hmacKey).update(token).digest("base64");
    return this.tokens.get(key, () => this.review(token));
  }

  private certificateUser(socket: TLSSocket): KubeletUser | undefined {
    // authorized: the TLS layer verified the chain to the cluster CA, for client authentication.
    if (!socket?.authorized) return undefined;
    const known = this.certificates.get(socket);
    if (known !== undefined) return known ?? undefined;
    const raw = socket.getPeerCertificate?.()?.raw;
    let user: KubeletUser | null = null;
    if (raw) {
      const fields = new X509Certificate(raw).subject.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const);
      const cn = fields.find(([k]) => k === "CN")?.[1];
      if (cn) user = withAuthenticated({ username: cn, groups: fields.filter(([k]) => k === "O").map(([, v]) => v) });
    }
    this.certificates.set(socket, user);
    return user ?? undefined;
  }

  private async review(token: string): Promise<KubeletUser | undefined> {
    const review: TokenReview & KubeObject = { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: {}, spec: { token } };
    const answer = await this.client.create<TokenReview & KubeObject>(tokenReviews, undefined, review);
    const user = answer.status?.user;
    if (!answer.status?.authenticated || !user?.username) return undefined;
    return withAuthenticated({ ...user, username: user.username, groups: user.groups ?? [] });
  }
}

function withAuthenticated(user: KubeletUser): KubeletUser {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

/** `Authorization: Bearer T`, or T from a WebSocket subprotocol (which is then taken out of the offer). */
function bearerToken(req: IncomingMessage): string | undefined {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ""));
  if (header) return header[1];
  const offered = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  const carrier = offered.find((p) => p.startsWith(WEBSOCKET_TOKEN_PREFIX));
  if (!carrier) return undefined;
  const rest = offered.filter((p) => p !== carrier);
  if (rest.length) req.headers["sec-websocket-protocol"] = rest.join(", ");
  else delete req.headers["sec-websocket-protocol"];
  const token = Buffer.from(carrier.slice(WEBSOCKET_TOKEN_PREFIX.length), "base64url").toString();
  return token || undefined;
}
