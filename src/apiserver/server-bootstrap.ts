/**
 * `GET /v1-skiff/server-bootstrap`: the cluster's shared secrets for a
 * server that joins (`skiff server --server URL --token T`), as k3s'
 * /v1-k3s/server-bootstrap. The caller proves it holds the server token
 * with HTTP Basic `server:<id>.<secret>`; the token's CA hash is what lets
 * the caller trust this server before it sends the token (see
 * src/cli/server-join.ts).
 *
 * Only the server's own token (DATA_DIR/tls/bootstrap.token, the one in
 * DATA_DIR/node-token) opens it: tokens made with `skiff token create` are
 * for agents and authenticate as system:bootstrap:<id> elsewhere only.
 * Outside the API's authentication on purpose: the answer is the key
 * material that authentication itself rests on, and no RBAC role grants it.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { ServerBootstrapData } from "../pki/index.js";
import { ApiError } from "../api/errors.js";
import { sendError, sendJson, type Response } from "./http.js";

export const SERVER_BOOTSTRAP_PATH = "/v1-skiff/server-bootstrap";

export interface ServerBootstrapSource {
  /** The server token `<id>.<secret>`. */
  token: string;
  /** Read at each request: the files may be rotated between joins. */
  data(): ServerBootstrapData;
}

/** Equal-time comparison of the presented token with the server's (hashes first, so lengths never differ). */
function sameToken(presented: string, token: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(presented), h(token));
}

/** The password of `Authorization: Basic base64(server:<password>)`, or undefined. */
function serverPassword(authorization: string | undefined): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 && decoded.slice(0, colon) === "server" ? decoded.slice(colon + 1) : undefined;
}

export function serveServerBootstrap(method: string, authorization: string | undefined, res: Response, source: ServerBootstrapSource | undefined): void {
  if (!source) return sendError(res, new ApiError(404, "NotFound", "the server has no bootstrap data to share"));
  if (method !== "GET") return sendError(res, new ApiError(405, "MethodNotAllowed", `${method} is not supported on ${SERVER_BOOTSTRAP_PATH}`));
  const password = serverPassword(authorization);
  if (password === undefined || !sameToken(password, source.token)) {
    res.setHeader("www-authenticate", 'Basic realm="skiff-server-bootstrap"');
    return sendError(res, new ApiError(401, "Unauthorized", "Unauthorized"));
  }
  sendJson(res, 200, source.data());
}
