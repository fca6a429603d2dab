/**
 * Authentication of a request, as upstream's union of authenticators: a
 * bearer token (from the Authorization header, or for a WebSocket upgrade
 * from a `base64url.bearer.authorization.k8s.io.` subprotocol, as browsers
 * cannot set headers on one) goes to each token authenticator in turn
 * (static tokens, bootstrap tokens, service-account tokens); without one,
 * the client certificate; without either, the anonymous user. A token that
 * no authenticator recognises is a 401, never anonymous.
 */
import type { TLSSocket } from "node:tls";
import { ApiError } from "../../api/errors.js";
import { X509Authenticator } from "./x509.js";
import { ANONYMOUS_USER, UNAUTHENTICATED_GROUP, type TokenAuthenticator, type UserInfo } from "./user-info.js";

export interface RequestAuthenticatorOptions {
  tokens: TokenAuthenticator[];
  /** Upstream's --anonymous-auth (default true): unauthenticated requests are system:anonymous. */
  anonymous?: boolean;
}

export interface AuthenticatableRequest {
  headers: Record<string, string | string[] | undefined>;
  socket: TLSSocket | undefined;
}

export const unauthorized = () => new ApiError(401, "Unauthorized", "Unauthorized");

export class RequestAuthenticator {
  private readonly x509 = new X509Authenticator();

  constructor(private readonly options: RequestAuthenticatorOptions) {}

  /** The token authenticators alone, for TokenReview. */
  async authenticateToken(token: string, audiences?: string[]): Promise<UserInfo | undefined> {
    for (const a of this.options.tokens) {
      const user = await a.authenticateToken(token, audiences);
      if (user) return user;
    }
    return undefined;
  }

  async authenticate(req: AuthenticatableRequest): Promise<UserInfo> {
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const user = await this.authenticateToken(token);
      if (!user) throw unauthorized();
      return user;
    }
    const offered = webSocketBearerToken(req.headers);
    if (offered) {
      const user = await this.authenticateToken(offered.token);
      if (!user) throw unauthorized();
      // The token is the client's credential, not a protocol to negotiate or pass to a kubelet.
      req.headers["sec-websocket-protocol"] = offered.otherProtocols.join(",");
      return user;
    }
    const user = this.x509.authenticate(req.socket);
    if (user) return user;
    if (this.options.anonymous === false) throw unauthorized();
    return { username: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };
  }
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string") return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export const WEBSOCKET_BEARER_PROTOCOL_PREFIX = "base64url.bearer.authorization.k8s.io.";

/**
 * The bearer token offered as a WebSocket subprotocol (upstream's
 * websocket protocol authenticator): only on an upgrade to WebSocket, at most
 * one, base64url without padding, valid UTF-8, and beside at least one other
 * subprotocol for the server to answer with. A malformed offer is a 401.
 */
export function webSocketBearerToken(headers: AuthenticatableRequest["headers"]): { token: string; otherProtocols: string[] } | undefined {
  const upgrade = headers.upgrade;
  if (typeof upgrade !== "string" || upgrade.toLowerCase() !== "websocket") return undefined;
  const header = headers["sec-websocket-protocol"];
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  let token: string | undefined;
  const otherProtocols: string[] = [];
  for (const protocol of values.flatMap((v) => v.split(",")).map((p) => p.trim()).filter(Boolean)) {
    if (!protocol.startsWith(WEBSOCKET_BEARER_PROTOCOL_PREFIX)) {
      otherProtocols.push(protocol);
      continue;
    }
    if (token !== undefined) throw unauthorized();
    token = decodeBase64Url(protocol.slice(WEBSOCKET_BEARER_PROTOCOL_PREFIX.length));
  }
  if (!token) return undefined;
  if (!otherProtocols.length) throw unauthorized();
  return { token, otherProtocols };
}

function decodeBase64Url(encoded: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded) || encoded.length % 4 === 1) throw unauthorized();
  const bytes = Buffer.from(encoded, "base64url");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw unauthorized();
  }
}
