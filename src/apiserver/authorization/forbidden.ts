/**
 * The 403 a denied request gets, as upstream's authorization filter writes it
 * (responsewriters.Forbidden: forbiddenMessage, then apierrors.NewForbidden
 * on the request's group and resource, without its subresource).
 */
import { ApiError } from "../../api/errors.js";
import type { Attributes } from "./authorizer.js";

/** `User "jane" cannot list resource "pods" in API group "" in the namespace "default"`. */
export function forbiddenMessage(attrs: Attributes): string {
  const username = JSON.stringify(attrs.user?.username ?? "");
  if (!attrs.resourceRequest) return `User ${username} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const what = `User ${username} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)}`;
  return attrs.namespace ? `${what} in the namespace ${JSON.stringify(attrs.namespace)}` : `${what} at the cluster scope`;
}

/**
 * The error for a request no authorizer allowed; reason is the deciding
 * authorizer's (appended after `: ` when non-empty).
 */
export function forbidden(attrs: Attributes, reason: string): ApiError {
  const msg = reason ? `${forbiddenMessage(attrs)}: ${reason}` : forbiddenMessage(attrs);
  return forbiddenError(attrs.resourceRequest ? attrs.resource : "", attrs.resourceRequest ? attrs.apiGroup : "", attrs.resourceRequest ? attrs.name : "", msg);
}

/** apierrors.NewForbidden: `<resource>.<group> "<name>" is forbidden: <why>`, details {name, group, kind: resource}. */
export function forbiddenError(resource: string, group: string, name: string, why: string): ApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  let message: string;
  if (!resource && !group) message = `forbidden: ${why}`;
  else if (!name) message = `${qualified} is forbidden: ${why}`;
  else message = `${qualified} ${JSON.stringify(name)} is forbidden: ${why}`;
  // Go's omitempty drops the empty members, but the details object itself is always sent.
  const details: { name?: string; group?: string; kind?: string } = {};
  if (name) details.name = name;
  if (group) details.group = group;
  if (resource) details.kind = resource;
  return new ApiError(403, "Forbidden", message, details);
}
