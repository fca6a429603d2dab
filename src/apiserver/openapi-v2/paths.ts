/**
 * The v2 document's paths: every resource's collection and object endpoints
 * with their operations, query parameters and the group-version-kind each
 * serves, as upstream's API server lists them. Clients read more than the
 * schemas here: kubectl 1.20 and client tools decide that a kind supports
 * server-side dry run by finding the `dryRun` parameter on its PATCH.
 */
import type { ResourceInfo } from "../../api/resources.js";
import { V2_REF, type SchemaNode } from "./schemas.js";

export type PathItem = { [method: string]: SchemaNode | SchemaNode[] };

const PRODUCES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const LIST_PRODUCES = [...PRODUCES, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];
const STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const DELETE_OPTIONS = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

const query = (name: string, type: string, description: string): SchemaNode => ({ uniqueItems: true, type, description, name, in: "query" });

const DRY_RUN = query("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed");
const FIELD_MANAGER = query("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.");
const FIELD_VALIDATION = query("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Strict - Warn");
const FORCE = query("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.");
const GRACE = query("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.");
const PROPAGATION = query("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both.");
const PRETTY = query("pretty", "string", "If 'true', then the output is pretty printed.");
const LIST_PARAMS = [
  query("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
  query("continue", "string", "The continue option should be set when retrieving more results from the server."),
  query("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
  query("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
  query("limit", "integer", "limit is a maximum number of responses to return for a list call."),
  query("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
  query("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
  query("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`."),
  query("timeoutSeconds", "integer", "Timeout for the list/watch call."),
  query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications."),
];

const body = (ref: string): SchemaNode => ({ name: "body", in: "body", required: true, schema: { $ref: V2_REF + ref } });
const pathParam = (name: string, description: string): SchemaNode => ({ uniqueItems: true, type: "string", description, name, in: "path", required: true });
const ok = (ref: string, codes = ["200"]): SchemaNode => Object.fromEntries([...codes.map((c) => [c, { description: c === "201" ? "Created" : c === "202" ? "Accepted" : "OK", schema: { $ref: V2_REF + ref } }]), ["401", { description: "Unauthorized" }]]);

function camel(s: string): string {
  return s.split(/[.-]/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join("");
}

/** Upstream's tag and operation-name infix: `appsV1`, `core_v1` style. */
function groupVersionTag(r: ResourceInfo): string {
  const group = r.group === "" ? "core" : r.group.replace(/\.k8s\.io$/, "").replace(/\.authorization$/, "");
  return `${group.replace(/\./g, "_")}_${r.version}`;
}

/** The path items of one resource: its collection, its objects, and its status and scale. */
export function resourcePaths(r: ResourceInfo, definition: string, listDefinition: string | undefined): Record<string, PathItem> {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const base = `${prefix}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}`;
  const infix = `${camel(groupVersionTag(r).replace(/_/g, "-"))}${r.namespaced ? "Namespaced" : ""}${r.kind}`;
  const tags = [groupVersionTag(r)];
  const kindExt = { "x-kubernetes-group-version-kind": { group: r.group, kind: r.kind, version: r.version } };
  const op = (verb: string, action: string, description: string, parameters: SchemaNode[], responses: SchemaNode, extra: SchemaNode = {}): SchemaNode => ({
    description, consumes: ["*/*"], produces: PRODUCES, schemes: ["https"], tags, operationId: `${verb}${infix}`, parameters, responses,
    "x-kubernetes-action": action, ...kindExt, ...extra,
  });
  const shared = [...(r.namespaced ? [pathParam("namespace", "object name and auth scope, such as for teams and projects")] : []), PRETTY];
  const writes = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const patchOp = (what: string, suffix = "") => op(`patch${suffix}`, "patch", `partially update ${what} of the specified ${r.kind}`, [
    { name: "body", in: "body", required: true, schema: { $ref: V2_REF + PATCH } }, ...writes, FORCE,
  ], ok(definition, ["200", "201"]), {
    consumes: ["application/json-patch+json", "application/merge-patch+json", ...(r.crd ? [] : ["application/strategic-merge-patch+json"]), "application/apply-patch+yaml"],
  });
  const verbs = new Set(r.verbs);
  const paths: Record<string, PathItem> = {};
  const collection: PathItem = { parameters: shared };
  if (verbs.has("list")) collection.get = op("list", "list", `list or watch objects of kind ${r.kind}`, LIST_PARAMS, ok(listDefinition ?? definition), { produces: LIST_PRODUCES });
  if (verbs.has("create")) collection.post = op("create", "post", `create a ${r.kind}`, [body(definition), ...writes], ok(definition, ["200", "201", "202"]));
  if (verbs.has("deletecollection")) collection.delete = op("deletecollection", "deletecollection", `delete collection of ${r.kind}`, [{ name: "body", in: "body", schema: { $ref: V2_REF + DELETE_OPTIONS } }, ...LIST_PARAMS, DRY_RUN, GRACE, PROPAGATION], ok(STATUS));
  if (Object.keys(collection).length > 1) paths[base] = collection;
  const item: PathItem = { parameters: [pathParam("name", `name of the ${r.kind}`), ...shared] };
  if (verbs.has("get")) item.get = op("read", "get", `read the specified ${r.kind}`, [], ok(definition));
  if (verbs.has("update")) item.put = op("replace", "put", `replace the specified ${r.kind}`, [body(definition), ...writes], ok(definition, ["200", "201"]));
  if (verbs.has("patch")) item.patch = patchOp(r.kind);
  if (verbs.has("delete")) item.delete = op("delete", "delete", `delete a ${r.kind}`, [{ name: "body", in: "body", schema: { $ref: V2_REF + DELETE_OPTIONS } }, DRY_RUN, GRACE, PROPAGATION], ok(STATUS, ["200", "202"]));
  if (Object.keys(item).length > 1) paths[`${base}/{name}`] = item;
  for (const sub of r.subresources) {
    if (sub.name !== "status" && sub.name !== "scale") continue;
    const suffix = sub.name === "status" ? "Status" : "Scale";
    const target = sub.name === "scale" ? "io.k8s.api.autoscaling.v1.Scale" : definition;
    const subExt = sub.name === "scale" ? { "x-kubernetes-group-version-kind": { group: "autoscaling", kind: "Scale", version: "v1" } } : {};
    paths[`${base}/{name}/${sub.name}`] = {
      parameters: [pathParam("name", `name of the ${sub.kind?.kind ?? r.kind}`), ...shared],
      get: { ...op(`read${suffix}`, "get", `read ${sub.name} of the specified ${r.kind}`, [], ok(target)), ...subExt, operationId: `read${infix}${suffix}` },
      put: { ...op(`replace${suffix}`, "put", `replace ${sub.name} of the specified ${r.kind}`, [body(target), ...writes], ok(target, ["200", "201"])), ...subExt, operationId: `replace${infix}${suffix}` },
      patch: { ...patchOp(sub.name, suffix), ...subExt, responses: ok(target, ["200", "201"]), operationId: `patch${infix}${suffix}` },
    };
  }
  return paths;
}
