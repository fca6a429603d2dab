/**
 * Authentication of a request, as upstream's union of authenticators: a
 * bearer token goes to each token authenticator in turn (static tokens,
 * bootstrap tokens, service-account tokens); without one, the client
 * certificate; without either, the anonymous user. A token that no
 * authenticator recognises is a 401, never anonymous.
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
