/**
 * Upstream's IsExemptAdmissionConfigurationResource: webhooks are never
 * called for the objects that configure admission, so a webhook that is
 * down or denies everything can still be fixed or removed.
 */
import type { AdmissionAttributes } from "../../admission.js";

const EXEMPT = new Set([
  "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
  "validatingadmissionpolicies", "validatingadmissionpolicybindings",
  "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
]);

export function isExemptAdmissionConfigurationResource(attrs: Pick<AdmissionAttributes, "info">): boolean {
  return attrs.info.group === "admissionregistration.k8s.io" && EXEMPT.has(attrs.info.resource);
}
