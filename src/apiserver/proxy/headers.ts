/**
 * The headers a proxied request and its answer keep, as Go's ReverseProxy
 * and upstream's proxy transport leave them: hop-by-hop headers (and those
 * the Connection header names) stay on their own hop, the client's
 * credentials for the API server never reach the backend (upstream drops
 * Authorization once a request is authenticated, and the Impersonate-*
 * headers once applied), and a backend's CORS headers never reach the client.
 */

const HOP_BY_HOP = new Set(["connection", "proxy-connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);
const CORS = new Set(["access-control-allow-credentials", "access-control-allow-headers", "access-control-allow-methods", "access-control-allow-origin"]);

function isCredential(name: string): boolean {
  return name === "authorization" || name.startsWith("impersonate-");
}

/** Header names listed in the Connection headers: hop-by-hop too (RFC 9110 7.6.1). */
function connectionListed(rawHeaders: string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== "connection") continue;
    for (const n of rawHeaders[i + 1]!.split(",")) if (n.trim()) out.add(n.trim().toLowerCase());
  }
  return out;
}

export interface BackendHeaderOptions {
  /** The Host the client addressed (HTTP/2's :authority), passed on as Go's ReverseProxy does. */
  host: string | undefined;
  /** The client's address, appended to X-Forwarded-For. */
  clientIP: string | undefined;
  /** An upgrade keeps Connection and Upgrade: the backend must see them to switch protocols. */
  upgrade: boolean;
  extra?: Record<string, string>;
}

/** The request's headers for the backend, as a flat name/value list (message.rawHeaders' form). */
export function backendRequestHeaders(rawHeaders: string[], o: BackendHeaderOptions): string[] {
  const listed = o.upgrade ? new Set<string>() : connectionListed(rawHeaders);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower.startsWith(":") || lower === "host" || isCredential(lower)) continue;
    if (!o.upgrade && (HOP_BY_HOP.has(lower) || listed.has(lower))) continue;
    if (lower === "x-forwarded-for") {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
      continue;
    }
    out.push(name, rawHeaders[i + 1]!);
  }
  if (o.host) out.unshift("Host", o.host);
  if (o.clientIP) out.push("X-Forwarded-For", forwardedFor ? `${forwardedFor}, ${o.clientIP}` : o.clientIP);
  else if (forwardedFor) out.push("X-Forwarded-For", forwardedFor);
  for (const [k, v] of Object.entries(o.extra ?? {})) out.push(k, v);
  return out;
}

/** The backend's response headers for the client, by lower-case name (several values as a list). */
export function clientResponseHeaders(rawHeaders: string[]): Record<string, string | string[]> {
  const listed = connectionListed(rawHeaders);
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || listed.has(name) || CORS.has(name)) continue;
    const value = rawHeaders[i + 1]!;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}
