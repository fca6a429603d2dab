/**
 * What a request asks for, parsed once from its normalised path, as
 * upstream's RequestInfoFactory: every later stage (authorization, audit,
 * routing, admission) reads this and never the raw path again.
 */
import { boolQueryParam } from "../api/query-params.js";
import { badRequest } from "../api/errors.js";

export interface RequestInfo {
  /** True for requests on a resource under /api or /apis; false for discovery, /healthz, /version and the like. */
  isResourceRequest: boolean;
  /** The decoded, normalised path (no empty, `.` or `..` segments). */
  path: string;
  /** Upstream's verb: get, list, watch, create, update, patch, delete, deletecollection; a lower-case HTTP method for non-resource requests. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The path segments after the resource (name, subresource), as upstream's Parts. */
  parts: string[];
}

/** Subresources of a namespace that are not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

/**
 * Decodes the path's segments and refuses what could walk elsewhere: a
 * segment that is `.` or `..` (raw or percent-encoded) or that decodes to
 * something holding a `/`. Upstream's Go mux answers such paths with a
 * redirect to the cleaned path; refusing them is the simpler safe answer, and
 * no client sends them.
 */
export function normalisePath(rawPath: string): string[] {
  const segments: string[] = [];
  for (const raw of rawPath.split("/")) {
    if (raw === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw badRequest(`invalid path: malformed percent-encoding in ${JSON.stringify(raw)}`);
    }
    if (seg === "." || seg === ".." || seg.includes("/") || seg.includes("\0")) {
      throw badRequest(`invalid path: the segment ${JSON.stringify(raw)} is not allowed`);
    }
    segments.push(seg);
  }
  return segments;
}

const METHOD_VERBS: Record<string, string> = { GET: "get", HEAD: "get", POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

export function parseRequestInfo(method: string, rawPath: string, query: URLSearchParams): RequestInfo {
  const segments = normalisePath(rawPath);
  const path = "/" + segments.join("/");
  const nonResource: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: "", apiGroup: "", apiVersion: "",
    namespace: "", resource: "", subresource: "", name: "", parts: [],
  };
  const prefix = segments[0];
  if (prefix !== "api" && prefix !== "apis") return nonResource;
  let rest = segments.slice(1);
  const info: RequestInfo = { ...nonResource, apiPrefix: prefix };
  if (prefix === "apis") {
    // /apis and /apis/GROUP are discovery documents.
    if (rest.length < 2) return { ...info, isResourceRequest: false, apiGroup: rest[0] ?? "" };
    info.apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  if (rest.length < 1) return { ...info, isResourceRequest: false };
  info.apiVersion = rest[0]!;
  rest = rest.slice(1);
  // /api/v1 and /apis/GROUP/VERSION list the resources of a group version.
  if (rest.length === 0) return { ...info, isResourceRequest: false };
  info.isResourceRequest = true;
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (rest[0] === "watch") {
    verb = "watch";
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces") {
    if (rest.length > 1) {
      info.namespace = rest[1]!;
      if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
    }
  }
  info.parts = rest;
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  info.subresource = rest[2] ?? "";
  if (!info.name && verb === "get") {
    verb = boolQueryParam(query, "watch") ? "watch" : "list";
    // A list or watch of one object by name is authorized as that object, as upstream.
    const byName = exactName(query.get("fieldSelector") ?? "");
    if (byName) info.name = byName;
  }
  if (!info.name && verb === "delete") verb = "deletecollection";
  info.verb = verb;
  return info;
}

/** The name a field selector requires exactly (`metadata.name=x` or `metadata.name==x`), if it does. */
function exactName(fieldSelector: string): string | undefined {
  for (const term of fieldSelector.split(",")) {
    const m = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (m && !m[1]!.includes("/") && m[1] !== "." && m[1] !== "..") return m[1];
  }
  return undefined;
}
