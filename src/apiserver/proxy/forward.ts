/**
 * One proxied HTTP exchange, as upstream's UpgradeAwareHandler with its
 * rewriting transport serves it: the request streamed to the backend with
 * its method, body and query, the answer streamed back with its status and
 * headers, a redirect's Location and an HTML page's links made to point
 * through the proxy (see rewrite.ts).
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Writable } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import { promisify } from "node:util";
import { deflate, gunzip, gzip, inflate, inflateRaw } from "node:zlib";
import { ApiError } from "../../api/errors.js";
import type { Request, Response } from "../http.js";
import { backendRequestHeaders, clientResponseHeaders } from "./headers.js";
import { authorityOf, type ProxyLocation } from "./location.js";
import { rewriteHTML, rewriteURL, type LinkContext } from "./rewrite.js";

/** How long dialling a backend may take (upstream's proxy dialer: 30 seconds). */
export const DIAL_TIMEOUT_MS = 30_000;

export interface Exchange {
  location: ProxyLocation;
  /** The backend path, escaped; empty for the backend's root. */
  path: string;
  /** The query as the client sent it, without its `?`. */
  rawQuery: string;
  /** The request's path up to and including `proxy`, escaped. */
  pathPrepend: string;
  /** TLS for an https backend: the kubelet's client certificate, or none and no verification (upstream's proxy transport). */
  tls: ConnectionOptions;
}

/** Go's dialer's words for a failed dial, which clients and tests read. */
export function dialFailure(err: NodeJS.ErrnoException, authority: string): ApiError {
  const why: Record<string, string> = {
    ECONNREFUSED: "connect: connection refused", EHOSTUNREACH: "connect: no route to host",
    ENETUNREACH: "connect: network is unreachable", ETIMEDOUT: "i/o timeout",
  };
  const reason = why[err.code ?? ""];
  return new ApiError(503, "ServiceUnavailable", `error trying to reach service: ${reason ? `dial tcp ${authority}: ${reason}` : err.message}`);
}

function clientIP(req: Request): string | undefined {
  return req.socket?.remoteAddress?.replace(/^::ffff:/, "");
}

/** Serves the exchange; throws a 503 ApiError when the backend cannot be reached before anything was answered. */
export function forward(req: Request, res: Response, x: Exchange): Promise<void> {
  const authority = authorityOf(x.location);
  const host = String(req.headers.host ?? req.headers[":authority"] ?? "");
  const backendPath = x.path || "/";
  const headers = backendRequestHeaders(req.rawHeaders, {
    host, clientIP: clientIP(req), upgrade: false,
    extra: { "X-Forwarded-Uri": x.pathPrepend + backendPath },
  });
  const links: LinkContext = { pathPrepend: x.pathPrepend, backendHost: authority, requestHost: host };
  const send = x.location.scheme === "https" ? httpsRequest : httpRequest;
  return new Promise<void>((resolve, reject) => {
    const out = send({
      host: x.location.host, port: x.location.port, method: req.method, path: backendPath + (x.rawQuery ? `?${x.rawQuery}` : ""),
      headers: headers as unknown as OutgoingHttpHeaders, setHost: false, agent: false, ...x.tls,
    });
    let answered = false;
    out.once("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => out.destroy(Object.assign(new Error("i/o timeout"), { code: "ETIMEDOUT" })), DIAL_TIMEOUT_MS);
      socket.once("connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    out.once("error", (err) => {
      if (!answered) reject(dialFailure(err, authority));
      else res.destroy?.();
    });
    out.once("response", (backend) => {
      answered = true;
      respond(req, res, backend, links).then(resolve, (err) => { backend.destroy(); reject(err); });
    });
    // A client that goes away takes its backend request with it.
    res.once("close", () => { if (!res.writableFinished) out.destroy(); });
    req.pipe(out);
  });
}

async function respond(req: Request, res: Response, backend: IncomingMessage, links: LinkContext): Promise<void> {
  const status = backend.statusCode ?? 502;
  const headers = clientResponseHeaders(backend.rawHeaders);
  const location = headers.location;
  if (typeof location === "string") headers.location = rewriteURL(location, links);
  else if (isHTML(headers["content-type"]) && hasBody(req.method, status)) {
    const page = await rewritePage(backend, headers["content-encoding"], links);
    if (page) {
      headers["content-length"] = String(page.length);
      res.writeHead(status, headers);
      res.end(page);
      return;
    }
  }
  res.writeHead(status, headers);
  // Headers go out at once, for a backend that answers and then streams slowly (HTTP/2 sends them on writeHead).
  (res as { flushHeaders?: () => void }).flushHeaders?.();
  await new Promise<void>((resolve, reject) => {
    backend.once("end", () => resolve());
    backend.once("error", reject);
    res.once("close", () => resolve());
    backend.pipe(res as unknown as Writable);
  });
}

function isHTML(contentType: string | string[] | undefined): boolean {
  const t = Array.isArray(contentType) ? contentType[0] : contentType;
  return (t ?? "").split(";")[0]!.trim().toLowerCase() === "text/html";
}

function hasBody(method: string | undefined, status: number): boolean {
  return method !== "HEAD" && status >= 200 && status !== 204 && status !== 304;
}

const codings = {
  gzip: { decode: promisify(gunzip), encode: promisify(gzip) },
  // HTTP's deflate is zlib's format, though some servers send raw deflate: either is read.
  deflate: { decode: (b: Buffer) => promisify(inflate)(b).catch(() => promisify(inflateRaw)(b)), encode: promisify(deflate) },
};

/**
 * The whole page with its links rewritten, in its content coding; undefined,
 * before reading anything, for a coding the proxy cannot read: such a page
 * is passed on as it came, as upstream does.
 */
async function rewritePage(backend: IncomingMessage, encoding: string | string[] | undefined, links: LinkContext): Promise<Buffer | undefined> {
  const coding = (Array.isArray(encoding) ? encoding.join(",") : encoding ?? "").trim().toLowerCase();
  if (coding !== "" && coding !== "gzip" && coding !== "deflate") return undefined;
  const chunks: Buffer[] = [];
  for await (const c of backend) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const codec = coding ? codings[coding as "gzip" | "deflate"] : undefined;
  const plain = codec ? await codec.decode(body).catch(() => undefined) : body;
  // A body that does not decode as it says is passed on untouched.
  if (!plain) return body;
  const page = Buffer.from(rewriteHTML(plain.toString("latin1"), (url) => rewriteURL(url, links)), "latin1");
  return codec ? codec.encode(page) : page;
}
