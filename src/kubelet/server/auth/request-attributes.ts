/**
 * What a request to the kubelet's API asks for, in the API server's terms,
 * so that a SubjectAccessReview can decide it (upstream's
 * nodeAuthorizerAttributesGetter, v1.32 with KubeletFineGrainedAuthz off):
 * resource `nodes`, the node's name, the verb from the HTTP method, and a
 * subresource from the path: `/stats/*` stats, `/metrics/*` metrics,
 * `/logs/*` log, `/spec/*` spec, `/checkpoint/*` checkpoint, and everything
 * else (pods, exec, attach, portForward, containerLogs, healthz, configz...)
 * proxy.
 */
import type { ResourceAttributes } from "kubernetes-types/authorization/v1.js";

const VERBS: Record<string, string> = { GET: "get", HEAD: "get", POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" };

const SUBRESOURCES: Array<[path: string, subresource: string]> = [
  ["/stats", "stats"],
  ["/metrics", "metrics"],
  ["/logs", "log"],
  ["/spec", "spec"],
  ["/checkpoint", "checkpoint"],
];

/** Whether `path` is `prefix` itself or below it (upstream's isSubpath: `/statsx` is not below `/stats`). */
function isSubpath(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The attributes of a request for `path` (decoded, without its query) by `method` on node `nodeName`. */
export function kubeletRequestAttributes(method: string | undefined, path: string, nodeName: string): Required<Pick<ResourceAttributes, "verb" | "namespace" | "group" | "version" | "resource" | "subresource" | "name">> {
  const subresource = SUBRESOURCES.find(([prefix]) => isSubpath(path, prefix))?.[1] ?? "proxy";
  // A method with no API verb (OPTIONS, CONNECT...) is asked about as the empty verb, which no rule but "*" grants.
  return { verb: VERBS[method ?? ""] ?? "", namespace: "", group: "", version: "v1", resource: "nodes", subresource, name: nodeName };
}
