/** A Service's validation: its type, ports and selector, and a ClusterIP that stays. */
import type { Service, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { immutable, invalidValue, required, validateLabels } from "../../../../api/validation.js";

const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

export function validateService(o: Service): FieldError[] {
  const s = o.spec ?? ({} as ServiceSpec);
  const errs: FieldError[] = [];
  if (!TYPES.includes(s.type ?? "")) errs.push({ type: "FieldValueNotSupported", field: "spec.type", value: s.type, detail: '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' });
  if (s.type === "ExternalName") {
    if (!s.externalName) errs.push(required("spec.externalName"));
    return errs;
  }
  const ports = s.ports ?? [];
  if (ports.length === 0 && s.clusterIP !== "None") errs.push(required("spec.ports"));
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    if (typeof p.port !== "number" || p.port < 1 || p.port > 65535) errs.push(invalidValue(`spec.ports[${i}].port`, p.port, "must be between 1 and 65535, inclusive"));
    if (ports.length > 1 && !p.name) errs.push(required(`spec.ports[${i}].name`));
    if (p.name) {
      if (names.has(p.name)) errs.push({ type: "FieldValueDuplicate", field: `spec.ports[${i}].name`, value: p.name });
      names.add(p.name);
    }
    if (p.nodePort !== undefined && (p.nodePort < 30000 || p.nodePort > 32767)) {
      errs.push(invalidValue(`spec.ports[${i}].nodePort`, p.nodePort, "provided port is not in the valid range. The range of valid ports is 30000-32767"));
    }
    if (p.nodePort !== undefined && s.type === "ClusterIP") errs.push({ type: "FieldValueForbidden", field: `spec.ports[${i}].nodePort`, detail: "may not be used when `type` is 'ClusterIP'" });
  }
  errs.push(...validateLabels("spec.selector", s.selector));
  return errs;
}

/** A Service keeps its ClusterIP, unless it is or becomes an ExternalName. */
export function validateServiceUpdate(o: Service, old: Service): FieldError[] {
  if (old.spec?.clusterIP && old.spec.type !== "ExternalName" && o.spec?.type !== "ExternalName" && o.spec?.clusterIP !== old.spec.clusterIP) {
    return [immutable("spec.clusterIPs[0]", o.spec?.clusterIP ?? "")];
  }
  return [];
}
