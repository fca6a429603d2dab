/**
 * A request for an aggregated group-version, passed to the extension API
 * server behind its APIService (upstream's kube-aggregator proxy handler):
 * after this server authenticated and authorized it, the request goes to a
 * ready endpoint of the APIService's Service over TLS (the serving
 * certificate checked against caBundle as `<service>.<namespace>.svc`, or
 * not at all with insecureSkipTLSVerify), presenting the front-proxy client
 * certificate, with the user in X-Remote-User, X-Remote-Group and
 * X-Remote-Extra-* (v1.32's default: no uid header) (the request header authentication of the
 * extension-apiserver-authentication ConfigMap). The client's own
 * credentials and any X-Remote-* headers it sent never reach the backend.
 * The answer streams back as it comes (watches too).
 */
import type { IncomingMessage } from "node:http";
import { request } from "node:https";
import { ApiError } from "../../api/errors.js";
import type { ServiceResolver } from "../admission/plugins/webhook/index.js";
import type { UserInfo } from "../authentication/user-info.js";
import type { Request, Response } from "../http.js";
import { backendRequestHeaders, clientResponseHeaders } from "../proxy/headers.js";
import type { APIService } from "../registry/apiregistration/apiservices/types.js";

export interface FrontProxyCredentials { cert: string; key: string }

const REMOTE_HEADER = /^x-remote-/i;

/** The identity headers an extension server reads (the names the ConfigMap announces). */
export function identityHeaders(user: UserInfo): string[] {
  const out = ["X-Remote-User", user.username];
  for (const g of user.groups ?? []) out.push("X-Remote-Group", g);
  for (const [k, values] of Object.entries(user.extra ?? {})) {
    for (const v of values) out.push(`X-Remote-Extra-${encodeURIComponent(k)}`, v);
  }
  return out;
}

/** TLS to the extension server: its CA bundle and name, or no verification when the APIService asks for none. */
export function backendTls(apiService: APIService, servername: string): { ca?: string; rejectUnauthorized: boolean; servername: string } {
  const spec = apiService.spec!;
  if (spec.insecureSkipTLSVerify) return { rejectUnauthorized: false, servername };
  const ca = spec.caBundle ? Buffer.from(spec.caBundle, "base64").toString("utf8") : undefined;
  return { ...(ca ? { ca } : {}), rejectUnauthorized: true, servername };
}

export async function proxyToExtension(req: Request, res: Response, apiService: APIService, user: UserInfo, deps: { services: ServiceResolver; credentials: FrontProxyCredentials }): Promise<void> {
  const svc = apiService.spec!.service!;
  const namespace = svc.namespace ?? "";
  const name = svc.name ?? "";
  let target;
  try {
    target = await deps.services.resolve(namespace, name, svc.port ?? 443);
  } catch (err) {
    throw new ApiError(503, "ServiceUnavailable", `service unavailable: ${(err as Error).message}`);
  }
  const rawHeaders = (req as IncomingMessage).rawHeaders ?? [];
  const passed: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (!REMOTE_HEADER.test(rawHeaders[i]!)) passed.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  // A header list gets no Host of Node's making: the endpoint's, as Go's client sets it from the URL.
  const host = target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const headers = backendRequestHeaders(passed, { host, clientIP: req.socket?.remoteAddress, upgrade: false });
  headers.push(...identityHeaders(user));
  const servername = `${name}.${namespace}.svc`;
  await new Promise<void>((resolve, reject) => {
    const backend = request({
      host: target.host, port: target.port, method: req.method, path: req.url, headers: headers as unknown as Record<string, string>, setHost: false,
      cert: deps.credentials.cert, key: deps.credentials.key, ...backendTls(apiService, servername), agent: false,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, clientResponseHeaders(answer.rawHeaders));
      answer.pipe(res as unknown as NodeJS.WritableStream);
      answer.once("end", resolve);
      answer.once("error", resolve);
    });
    backend.once("error", (err: NodeJS.ErrnoException) => {
      if (res.headersSent) { res.destroy(); resolve(); return; }
      reject(new ApiError(503, "ServiceUnavailable", `error trying to reach service: ${err.code === "ECONNREFUSED" ? `dial tcp ${target.host}:${target.port}: connect: connection refused` : err.message}`));
    });
    // A client that goes away ends the backend request (a watch that is closed).
    res.once("close", () => backend.destroy());
    (req as unknown as NodeJS.ReadableStream).pipe(backend);
  });
}
