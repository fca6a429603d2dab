/**
 * The kubelet API's gate, run before any handler (upstream's auth filter in
 * pkg/kubelet/server): authenticate, map the request to node attributes,
 * authorize. Refusals carry upstream's plain-text bodies: `Unauthorized`
 * (401), `Forbidden (user=U, verb=V, resource=nodes, subresource=S)` (403),
 * and `Authorization error (...)` (500) when the API server could not decide.
 */
import type { IncomingMessage } from "node:http";
import { KubeletAuthenticator, type KubeletUser, type ReviewClient } from "./authenticator.js";
import { KubeletAuthorizer } from "./authorizer.js";
import { kubeletRequestAttributes } from "./request-attributes.js";

export type AuthDecision = { allowed: true; user: KubeletUser } | { allowed: false; code: 401 | 403 | 500; message: string };

export interface KubeletAuthOptions {
  /** The kubelet's own client: it may create TokenReviews and SubjectAccessReviews (system:node). */
  client: ReviewClient;
  nodeName: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
}

export class KubeletAuth {
  private readonly authenticator: KubeletAuthenticator;
  private readonly authorizer: KubeletAuthorizer;

  constructor(private readonly options: KubeletAuthOptions) {
    this.authenticator = new KubeletAuthenticator(options.client, { now: options.now });
    this.authorizer = new KubeletAuthorizer(options.client, { now: options.now });
  }

  async check(req: IncomingMessage): Promise<AuthDecision> {
    const user = await this.authenticator.authenticate(req).catch((err) => {
      this.options.log?.("kubelet API: token review failed", { err: String((err as Error).message ?? err) });
      return undefined;
    });
    if (!user) return { allowed: false, code: 401, message: "Unauthorized" };
    const path = requestPath(req.url);
    const attrs = kubeletRequestAttributes(req.method, path, this.options.nodeName);
    const what = `user=${user.username}, verb=${attrs.verb}, resource=${attrs.resource}, subresource=${attrs.subresource}`;
    let allowed: boolean;
    try {
      allowed = await this.authorizer.allowed(user, attrs);
    } catch (err) {
      this.options.log?.("kubelet API: subject access review failed", { user: user.username, path, err: String((err as Error).message ?? err) });
      return { allowed: false, code: 500, message: `Authorization error (${what})` };
    }
    if (!allowed) return { allowed: false, code: 403, message: `Forbidden (${what})` };
    return { allowed: true, user };
  }
}

/**
 * The path the kubelet's handlers route by: dot segments (raw or
 * percent-encoded) resolved as the URL parser does. Authorizing any other
 * spelling would let `/stats/../pods` pass as stats.
 */
export function requestPath(url: string | undefined): string {
  return new URL(url ?? "/", "https://kubelet").pathname;
}
