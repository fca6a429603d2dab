/**
 * A request's audit input from its method, URL and headers, with upstream's
 * RequestInfo rules (verb from the method, watch, namespaces and their
 * status/finalize, subresources, long-running requests). The request chain
 * that has its own request info passes its attributes to Auditor.begin
 * instead; this is for callers that have only the raw request.
 */
import type { UserInfo } from "../authentication/user-info.js";
import { sourceIPs, type AuditRequest } from "./auditor.js";
import type { AuditAttributes } from "./policy.js";

export interface RawRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const LONG_RUNNING_VERBS = new Set(["watch", "proxy"]);
const LONG_RUNNING_SUBRESOURCES = new Set(["attach", "exec", "proxy", "log", "portforward"]);

export function auditRequestFrom(req: RawRequest, user: UserInfo | undefined): AuditRequest {
  const uri = req.url ?? "/";
  const url = new URL(uri, "https://skiff");
  const attributes = requestAttributes(req.method ?? "GET", url, user);
  const header = (n: string) => { const v = req.headers[n]; return Array.isArray(v) ? v[0] : v; };
  return {
    attributes, requestURI: uri, sourceIPs: sourceIPs(req.headers, req.socket?.remoteAddress),
    userAgent: header("user-agent"), auditID: header("audit-id"),
    longRunning: LONG_RUNNING_VERBS.has(attributes.verb) || LONG_RUNNING_SUBRESOURCES.has(attributes.subresource),
  };
}

export function requestAttributes(method: string, url: URL, user: UserInfo | undefined): AuditAttributes {
  const path = url.pathname;
  const base: AuditAttributes = { user, verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "" };
  let parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length < 3 || (parts[0] !== "api" && parts[0] !== "apis")) return base;
  const a = { ...base, resourceRequest: true };
  if (parts[0] === "apis") [a.apiGroup, a.apiVersion, parts] = [parts[1]!, parts[2]!, parts.slice(3)];
  else [a.apiVersion, parts] = [parts[1]!, parts.slice(2)];
  let watchPath = false;
  if (parts[0] === "watch") [watchPath, parts] = [true, parts.slice(1)];
  if (parts[0] === "namespaces" && parts.length > 1) {
    a.namespace = parts[1]!;
    // /namespaces/NAME and /namespaces/NAME/status are the namespace itself.
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  [a.resource = "", a.name = "", a.subresource = ""] = parts;
  const watch = watchPath || ["true", "1"].includes(url.searchParams.get("watch") ?? "");
  switch (method.toUpperCase()) {
    case "POST": a.verb = "create"; break;
    case "GET": case "HEAD": a.verb = a.name ? "get" : watch ? "watch" : "list"; break;
    case "PUT": a.verb = "update"; break;
    case "PATCH": a.verb = "patch"; break;
    case "DELETE": a.verb = a.name ? "delete" : "deletecollection"; break;
  }
  if (watchPath && a.name) a.verb = "watch";
  if (a.verb === "list" || a.verb === "watch") {
    // A list or watch of one object by field selector names it, as upstream.
    const m = /(?:^|,)metadata\.name==?([^,]+)/.exec(url.searchParams.get("fieldSelector") ?? "");
    if (m) a.name = m[1]!;
  }
  return a;
}
