/**
 * APIServices (kube-aggregator's apiregistration.k8s.io/v1): upstream's
 * validation (the name is version.group; priorities in range; a local one
 * has no TLS settings, a remote one a Service), the Service port's default,
 * and `kubectl get apiservices`' SERVICE and AVAILABLE columns. Status is
 * the availability controller's.
 */
import type { FieldError } from "../../../../api/errors.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import { dns1035Label, dns1123Subdomain, invalidValue, required, type NameValidation } from "../../../../api/validation.js";
import { clearStatus, type Stored, type Strategy } from "../../strategy.js";
import type { APIService } from "./types.js";

function validateAPIService(o: Stored<APIService>): FieldError[] {
  const s = o.spec ?? ({} as NonNullable<APIService["spec"]>);
  const errs: FieldError[] = [];
  const group = s.group ?? "";
  const version = s.version ?? "";
  if (o.metadata.name !== `${version}.${group}`) errs.push(invalidValue("metadata.name", o.metadata.name, `must be \`spec.version+"."+spec.group\`: "${version}.${group}"`));
  if (!group && s.service) errs.push(required("spec.group", "only local APIServices may have an empty group"));
  else if (group) errs.push(...dns1123Subdomain("spec.group", group));
  if (!version) errs.push(required("spec.version"));
  else errs.push(...dns1035Label("spec.version", version));
  if (!(s.groupPriorityMinimum > 0 && s.groupPriorityMinimum <= 20000)) errs.push(invalidValue("spec.groupPriorityMinimum", s.groupPriorityMinimum ?? 0, "must be positive and less than 20000"));
  if (!(s.versionPriority > 0 && s.versionPriority <= 1000)) errs.push(invalidValue("spec.versionPriority", s.versionPriority ?? 0, "must be positive and less than 1000"));
  if (!s.service) {
    if (s.caBundle) errs.push(invalidValue("spec.caBundle", "", "local APIServices may not have a caBundle"));
    if (s.insecureSkipTLSVerify) errs.push(invalidValue("spec.insecureSkipTLSVerify", true, "local APIServices may not have insecureSkipTLSVerify"));
    return errs;
  }
  if (!s.service.namespace) errs.push(required("spec.service.namespace"));
  if (!s.service.name) errs.push(required("spec.service.name"));
  const port = s.service.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) errs.push(invalidValue("spec.service.port", port, "port is not valid: must be between 1 and 65535, inclusive"));
  if (s.insecureSkipTLSVerify && s.caBundle) errs.push(invalidValue("spec.insecureSkipTLSVerify", true, "may not be true if caBundle is present"));
  return errs;
}

/** The AVAILABLE column: the Available condition's status, and its reason when it is not True. */
export function availableColumn(o: APIService): string {
  const c = o.status?.conditions?.find((x) => x.type === "Available");
  if (!c) return "Unknown";
  return c.status === "True" ? "True" : `${c.status} (${c.reason})`;
}

const apiServiceTable = tablePrinter<Stored<APIService>>(
  [["Service"], ["Available"], ["Age"]],
  (o, now) => [o.spec?.service ? `${o.spec.service.namespace}/${o.spec.service.name}` : "Local", availableColumn(o), age(o.metadata.creationTimestamp, now)],
);

/** Upstream's APIService name rule: <version>.<group>, the group empty for the core group ("v1."). */
const apiServiceName: NameValidation = (field, name) => {
  const dot = name.indexOf(".");
  if (dot < 0) return [invalidValue(field, name, "API Service name must satisfy format: <version>.<group>")];
  const group = name.slice(dot + 1);
  return [...dns1035Label(field, name.slice(0, dot)), ...(group ? dns1123Subdomain(field, group) : [])].map((e) => ({ ...e, value: name }));
};

export const apiServiceStrategy: Strategy<Stored<APIService>> = {
  nameValidation: apiServiceName,
  defaults(o) {
    if (o.spec?.service) o.spec.service.port ??= 443;
  },
  prepareForCreate: clearStatus,
  validate: validateAPIService,
  printer: apiServiceTable,
};
