/**
 * The Forbidden answer for a denied request, worded as upstream's
 * responsewriters.Forbidden: `pods "web" is forbidden: User "jane" cannot get
 * resource "pods" in API group "" in the namespace "default"`, with the
 * authorizers' reasons after a colon.
 */
import { ApiError } from "../../api/errors.js";
import type { Attributes } from "./authorizer.js";

export function forbiddenMessage(a: Attributes): string {
  const user = a.user.username;
  if (!a.resourceRequest) return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : "at the cluster scope";
  return `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

export function forbidden(a: Attributes, reason = ""): ApiError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.resourceRequest || !a.resource) return new ApiError(403, "Forbidden", `forbidden: ${why}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  return new ApiError(403, "Forbidden", `${subject} is forbidden: ${why}`, { name: a.name || undefined, group: a.apiGroup, kind: a.resource });
}
