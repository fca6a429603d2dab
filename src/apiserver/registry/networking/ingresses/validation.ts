/** An Ingress's validation: DNS hosts, absolute paths of a known type, and backends. */
import type { Ingress, IngressBackend } from "kubernetes-types/networking/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { dns1035Label, dns1123Subdomain, invalidValue, required } from "../../../../api/validation.js";

/** A backend: a Service by name (a DNS-1035 label) and port (a name or a number, not both), or a resource. */
function validateBackend(path: string, b: IngressBackend): FieldError[] {
  const errs: FieldError[] = [];
  if (b.service && b.resource) return [invalidValue(path, "", "cannot set both service and resource backends")];
  if (!b.service) return b.resource ? [] : [required(path, "one of service or resource is required")];
  const svc = b.service;
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else errs.push(...dns1035Label(`${path}.service.name`, String(svc.name)));
  const port = svc.port ?? {};
  if (port.name && port.number) errs.push(invalidValue(`${path}.service.port`, port.name, "cannot set both port name & port number"));
  else if (port.number !== undefined && (typeof port.number !== "number" || port.number < 1 || port.number > 65535)) {
    errs.push(invalidValue(`${path}.service.port.number`, port.number, "must be between 1 and 65535, inclusive"));
  } else if (port.name !== undefined && (String(port.name).length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(String(port.name)) || !/[a-z]/.test(String(port.name)))) {
    errs.push(invalidValue(`${path}.service.port.name`, port.name, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
  } else if (!port.name && !port.number) errs.push(required(`${path}.service.port`, "port name or number is required"));
  return errs;
}

export function validateIngress(o: Ingress): FieldError[] {
  const errs: FieldError[] = [];
  if (o.spec?.defaultBackend) errs.push(...validateBackend("spec.defaultBackend", o.spec.defaultBackend));
  for (const [i, r] of (o.spec?.rules ?? []).entries()) {
    if (typeof r.host === "string" && r.host !== "") {
      const host = r.host.startsWith("*.") ? r.host.slice(2) : r.host;
      if (/^[\d.]+$/.test(r.host) || r.host.includes(":")) errs.push(invalidValue(`spec.rules[${i}].host`, r.host, "must be a DNS name, not an IP address"));
      else errs.push(...dns1123Subdomain(`spec.rules[${i}].host`, host).map((e) => ({ ...e, value: r.host })));
    }
    for (const [j, p] of (r.http?.paths ?? []).entries()) {
      const at = `spec.rules[${i}].http.paths[${j}]`;
      if (!["Exact", "Prefix", "ImplementationSpecific"].includes(p.pathType ?? "")) {
        errs.push({ type: "FieldValueNotSupported", field: `${at}.pathType`, value: p.pathType, detail: 'supported values: "Exact", "ImplementationSpecific", "Prefix"' });
      }
      if ((p.pathType === "Exact" || p.pathType === "Prefix") && !String(p.path ?? "").startsWith("/")) errs.push(invalidValue(`${at}.path`, p.path ?? "", "must be an absolute path"));
      if (!p.backend) errs.push(required(`${at}.backend`));
      else errs.push(...validateBackend(`${at}.backend`, p.backend));
    }
  }
  return errs;
}
