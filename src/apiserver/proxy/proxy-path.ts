/**
 * The paths of a proxy request, from its RequestInfo (upstream's Parts):
 * `/api/v1/namespaces/ns/pods/web:80/proxy/a/b/` is the prefix
 * `/api/v1/namespaces/ns/pods/web:80/proxy` and the backend path `/a/b/`,
 * the trailing slash kept, as upstream's getRequestOptions joins them.
 */
import type { RequestInfo } from "../request-info.js";

/** A decoded path segment escaped as Go's URL.EscapedPath leaves it (sub-delimiters, `:` and `@` as they are). */
export function escapePathSegment(segment: string): string {
  return encodeURIComponent(segment)
    .replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (m) => decodeURIComponent(m))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Segments after `<resource>/<name>/proxy`: the path on the backend. */
const SUBPATH_START = 3;

export function backendPath(info: RequestInfo, rawPath: string): string {
  const rest = info.parts.slice(SUBPATH_START).map(escapePathSegment).join("/");
  const path = rest ? `/${rest}` : "";
  return rawPath.endsWith("/") && !path.endsWith("/") ? `${path}/` : path;
}

/** The request's path up to and including `proxy`, escaped. */
export function pathPrepend(info: RequestInfo): string {
  const segments = info.path.split("/").filter(Boolean);
  return "/" + segments.slice(0, segments.length - (info.parts.length - SUBPATH_START)).map(escapePathSegment).join("/");
}
