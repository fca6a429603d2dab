/** The Forbidden an admission plugin answers with, as upstream's admission.NewForbidden. */
import { ApiError, qualifiedResource } from "../../../api/errors.js";
import type { AdmissionAttributes } from "../admission.js";

/** `<resource> "<name>" is forbidden: <why>`, the name taken from the object when the request had none (a create). */
export function admissionForbidden(attrs: AdmissionAttributes, why: string): ApiError {
  const name = attrs.name || String(attrs.object?.metadata?.name ?? "");
  const resource = qualifiedResource(attrs.info.resource, attrs.info.group);
  return new ApiError(403, "Forbidden", name ? `${resource} "${name}" is forbidden: ${why}` : `${resource} is forbidden: ${why}`,
    { name: name || undefined, group: attrs.info.group, kind: attrs.info.resource });
}
