/**
 * Validation as upstream's pkg/apis/<group>/validation does it, for the fields a
 * user most often gets wrong. Each function returns field errors; an empty list
 * means valid.
 */
import type { FieldError } from "./errors.js";
import { jsonEqual } from "./json-equal.js";
import { labelSelectorRequirements, matchesLabels } from "./selectors.js";
import { validateLimitRange } from "./limit-range-validation.js";
import { validateRuntimeClass } from "./runtime-class-validation.js";
import type { RuntimeClass as RuntimeClassObject } from "kubernetes-types/node/v1.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON inside this module

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const required = (field: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field, detail });
const bad = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });

export function dns1123Subdomain(field: string, value: string): FieldError[] {
  if (value.length > 253) return [bad(field, value, "must be no more than 253 characters")];
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return [bad(field, value, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
  }
  return [];
}

export function dns1123Label(field: string, value: string): FieldError[] {
  if (value.length > 63) return [bad(field, value, "must be no more than 63 characters")];
  if (!DNS1123_LABEL.test(value)) {
    return [bad(field, value, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")];
  }
  return [];
}

function dns1035Label(field: string, value: string): FieldError[] {
  if (value.length > 63) return [bad(field, value, "must be no more than 63 characters")];
  if (!DNS1035_LABEL.test(value)) {
    return [bad(field, value, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")];
  }
  return [];
}

function qualifiedName(field: string, key: string): FieldError[] {
  const parts = key.split("/");
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const errs: FieldError[] = [];
  if (parts.length > 2) return [bad(field, key, "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")];
  if (parts.length === 2) errs.push(...dns1123Subdomain(field, parts[0]!).map((e) => ({ ...e, value: key, detail: "prefix part " + e.detail })));
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errs.push(bad(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
  }
  return errs;
}

export function validateLabels(field: string, labels: Record<string, unknown> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...qualifiedName(field, k));
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      errs.push(bad(`${field}`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
    }
  }
  return errs;
}

/** Annotations, keys and values together, may hold at most 256 KiB (upstream's TotalAnnotationSizeLimitB). */
export const MAX_ANNOTATIONS_SIZE = 256 * 1024;

/** ConfigMap and Secret data may hold at most 1 MiB in all (upstream's MaxSecretSize). */
export const MAX_DATA_SIZE = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** A key of ConfigMap or Secret data: a file name in a volume, so no '/', and not '.' or '..'. */
export function configKey(field: string, key: string): FieldError[] {
  const errs: FieldError[] = [];
  if (key.length > 253) errs.push(bad(field, key, "must be no more than 253 characters"));
  if (!CONFIG_KEY.test(key)) {
    errs.push(bad(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
  }
  if (key === ".") errs.push(bad(field, key, "must not be '.'"));
  else if (key === "..") errs.push(bad(field, key, "must not be '..'"));
  else if (key.startsWith("..")) errs.push(bad(field, key, "must not start with '..'"));
  return errs;
}

/** An Ingress backend: a Service by name (a DNS-1035 label) and port (a name or a number, not both), or a resource. */
function ingressBackend(path: string, b: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (b.service && b.resource) return [bad(path, "", "cannot set both service and resource backends")];
  if (!b.service) return b.resource ? [] : [required(path, "one of service or resource is required")];
  const svc = b.service;
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else errs.push(...dns1035Label(`${path}.service.name`, String(svc.name)));
  const port = svc.port ?? {};
  if (port.name && port.number) errs.push(bad(`${path}.service.port`, port.name, "cannot set both port name & port number"));
  else if (port.number !== undefined && (typeof port.number !== "number" || port.number < 1 || port.number > 65535)) {
    errs.push(bad(`${path}.service.port.number`, port.number, "must be between 1 and 65535, inclusive"));
  } else if (port.name !== undefined && (String(port.name).length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(String(port.name)) || !/[a-z]/.test(String(port.name)))) {
    errs.push(bad(`${path}.service.port.name`, port.name, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
  } else if (!port.name && !port.number) errs.push(required(`${path}.service.port`, "port name or number is required"));
  return errs;
}

/** Names that must be DNS labels rather than subdomains. */
const labelNamedKinds = new Set(["Namespace", "Service"]);
/** RBAC names are path segments upstream (ValidateRBACName), so `system:node` is valid; the store itself refuses '/', '%', '.' and '..'. */
const pathSegmentNamedKinds = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]);

export function validateObjectMeta(kind: string, obj: Obj, namespaced: boolean): FieldError[] {
  const m = obj.metadata ?? {};
  const errs: FieldError[] = [];
  if (!m.name) errs.push(required("metadata.name", "name or generateName is required"));
  else if (kind === "Service") errs.push(...dns1035Label("metadata.name", m.name));
  else if (labelNamedKinds.has(kind)) errs.push(...dns1123Label("metadata.name", m.name));
  else if (kind !== "Event" && kind !== "CustomResourceDefinition" && !pathSegmentNamedKinds.has(kind)) errs.push(...dns1123Subdomain("metadata.name", m.name));
  if (namespaced && !m.namespace) errs.push(required("metadata.namespace"));
  errs.push(...validateLabels("metadata.labels", m.labels));
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    errs.push(...qualifiedName("metadata.annotations", k.toLowerCase()));
    annotationBytes += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
  }
  if (annotationBytes > MAX_ANNOTATIONS_SIZE) errs.push({ type: "FieldValueTooLong", field: "metadata.annotations", detail: `must have at most ${MAX_ANNOTATIONS_SIZE} bytes` });
  for (const [i, f] of (m.finalizers ?? []).entries()) {
    if (typeof f !== "string" || !f) errs.push(bad(`metadata.finalizers[${i}]`, f, "name must be a non-empty string"));
  }
  return errs;
}

function validateContainers(path: string, containers: Obj[] | undefined, requireOne: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (requireOne && (!containers || containers.length === 0)) return [required(path)];
  const names = new Set<string>();
  for (const [i, c] of (containers ?? []).entries()) {
    const p = `${path}[${i}]`;
    if (!c.name) errs.push(required(`${p}.name`));
    else {
      errs.push(...dns1123Label(`${p}.name`, c.name));
      if (names.has(c.name)) errs.push({ type: "FieldValueDuplicate", field: `${p}.name`, value: c.name });
      names.add(c.name);
    }
    if (!c.image) errs.push(required(`${p}.image`));
    for (const [j, port] of (c.ports ?? []).entries()) {
      const n = port.containerPort;
      if (typeof n !== "number" || n < 1 || n > 65535) errs.push(bad(`${p}.ports[${j}].containerPort`, n, "must be between 1 and 65535, inclusive"));
      if (!["TCP", "UDP", "SCTP"].includes(port.protocol)) errs.push({ type: "FieldValueNotSupported", field: `${p}.ports[${j}].protocol`, value: port.protocol, detail: 'supported values: "SCTP", "TCP", "UDP"' });
    }
    if (!["Always", "IfNotPresent", "Never"].includes(c.imagePullPolicy)) {
      errs.push({ type: "FieldValueNotSupported", field: `${p}.imagePullPolicy`, value: c.imagePullPolicy, detail: 'supported values: "Always", "IfNotPresent", "Never"' });
    }
    for (const [j, e] of (c.env ?? []).entries()) if (!e.name) errs.push(required(`${p}.env[${j}].name`));
  }
  return errs;
}

/** claimVolumes: names a StatefulSet's volumeClaimTemplates add to its pods' volumes. */
export function validatePodSpec(path: string, spec: Obj | undefined, claimVolumes: string[] = []): FieldError[] {
  if (!spec) return [required(path)];
  const errs = [
    ...validateContainers(`${path}.containers`, spec.containers, true),
    ...validateContainers(`${path}.initContainers`, spec.initContainers, false),
  ];
  if (!["Always", "OnFailure", "Never"].includes(spec.restartPolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: `${path}.restartPolicy`, value: spec.restartPolicy, detail: 'supported values: "Always", "OnFailure", "Never"' });
  }
  if (!["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"].includes(spec.dnsPolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: `${path}.dnsPolicy`, value: spec.dnsPolicy, detail: 'supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"' });
  }
  const volumes = new Set<string>(claimVolumes);
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    if (!v.name) errs.push(required(`${path}.volumes[${i}].name`));
    else if (volumes.has(v.name)) errs.push({ type: "FieldValueDuplicate", field: `${path}.volumes[${i}].name`, value: v.name });
    else volumes.add(v.name);
  }
  for (const [i, c] of (spec.containers ?? []).entries()) {
    for (const [j, m] of (c.volumeMounts ?? []).entries()) {
      if (m.name && !volumes.has(m.name)) errs.push({ type: "FieldValueNotFound" as never, field: `${path}.containers[${i}].volumeMounts[${j}].name`, value: m.name });
    }
  }
  return errs.map((e) => ((e.type as string) === "FieldValueNotFound" ? { ...e, type: "FieldValueInvalid", detail: "volume not found" } as FieldError : e));
}

function validateSelectorAndTemplate(spec: Obj, opts: { selectorRequired: boolean; claimVolumes?: string[] }): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
    if (opts.selectorRequired) errs.push(required("spec.selector"));
    else errs.push(bad("spec.selector", sel ?? {}, "empty selector is invalid for deployment"));
  }
  const template = spec.template;
  if (!template) return [...errs, required("spec.template")];
  errs.push(...validateLabels("spec.template.metadata.labels", template.metadata?.labels));
  if (sel && errs.length === 0 && !matchesLabels(labelSelectorRequirements(sel), template.metadata?.labels)) {
    errs.push(bad("spec.template.metadata.labels", template.metadata?.labels ?? {}, "`selector` does not match template `labels`"));
  }
  errs.push(...validatePodSpec("spec.template.spec", template.spec, opts.claimVolumes));
  return errs;
}

function nonNegative(field: string, v: unknown): FieldError[] {
  if (v === undefined) return [];
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? [] : [bad(field, v, "must be greater than or equal to 0")];
}

function intOrPercent(field: string, v: unknown): FieldError[] {
  if (v === undefined || (typeof v === "number" && v >= 0)) return [];
  if (typeof v === "string" && /^\d+%$/.test(v)) return [];
  return [bad(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
}

const validators: Record<string, (o: Obj) => FieldError[]> = {
  Pod: (o) => validatePodSpec("spec", o.spec),
  Deployment(o) {
    const s = o.spec ?? {};
    const errs = [...nonNegative("spec.replicas", s.replicas), ...validateSelectorAndTemplate(s, { selectorRequired: true })];
    if (!["RollingUpdate", "Recreate"].includes(s.strategy?.type)) {
      errs.push({ type: "FieldValueNotSupported", field: "spec.strategy.type", value: s.strategy?.type, detail: 'supported values: "Recreate", "RollingUpdate"' });
    }
    const ru = s.strategy?.rollingUpdate;
    if (ru) {
      errs.push(...intOrPercent("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable), ...intOrPercent("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge));
      if ((ru.maxUnavailable === 0 || ru.maxUnavailable === "0%") && (ru.maxSurge === 0 || ru.maxSurge === "0%")) {
        errs.push(bad("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
      }
    }
    return errs;
  },
  ReplicaSet: (o) => [...nonNegative("spec.replicas", o.spec?.replicas), ...validateSelectorAndTemplate(o.spec ?? {}, { selectorRequired: true })],
  StatefulSet: (o) => [...nonNegative("spec.replicas", o.spec?.replicas), ...validateSelectorAndTemplate(o.spec ?? {}, {
    selectorRequired: true, claimVolumes: (o.spec?.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata?.name),
  })],
  DaemonSet: (o) => validateSelectorAndTemplate(o.spec ?? {}, { selectorRequired: true }),
  Job(o) {
    const s = o.spec ?? {};
    const errs = [...nonNegative("spec.parallelism", s.parallelism), ...nonNegative("spec.completions", s.completions), ...nonNegative("spec.backoffLimit", s.backoffLimit)];
    errs.push(...validatePodSpec("spec.template.spec", s.template?.spec));
    if (s.template?.spec && !["OnFailure", "Never"].includes(s.template.spec.restartPolicy)) {
      errs.push({ type: "FieldValueNotSupported", field: "spec.template.spec.restartPolicy", value: s.template.spec.restartPolicy, detail: 'supported values: "OnFailure", "Never"' });
    }
    return errs;
  },
  CronJob(o) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    if (!s.schedule) errs.push(required("spec.schedule"));
    else if (!/^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+\S+|(\S+\s+){4}\S+)$/.test(String(s.schedule).trim().replace(/^(CRON_)?TZ=\S+\s+/, ""))) {
      errs.push(bad("spec.schedule", s.schedule, "unparseable cron schedule"));
    }
    if (!["Allow", "Forbid", "Replace"].includes(s.concurrencyPolicy)) {
      errs.push({ type: "FieldValueNotSupported", field: "spec.concurrencyPolicy", value: s.concurrencyPolicy, detail: 'supported values: "Allow", "Forbid", "Replace"' });
    }
    const ps = s.jobTemplate?.spec?.template?.spec;
    errs.push(...validatePodSpec("spec.jobTemplate.spec.template.spec", ps));
    return errs;
  },
  Service(o) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    const types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    if (!types.includes(s.type)) errs.push({ type: "FieldValueNotSupported", field: "spec.type", value: s.type, detail: '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' });
    if (s.type === "ExternalName") {
      if (!s.externalName) errs.push(required("spec.externalName"));
      return errs;
    }
    if ((s.ports ?? []).length === 0 && s.clusterIP !== "None") errs.push(required("spec.ports"));
    const names = new Set<string>();
    for (const [i, p] of (s.ports ?? []).entries()) {
      if (typeof p.port !== "number" || p.port < 1 || p.port > 65535) errs.push(bad(`spec.ports[${i}].port`, p.port, "must be between 1 and 65535, inclusive"));
      if ((s.ports.length > 1) && !p.name) errs.push(required(`spec.ports[${i}].name`));
      if (p.name) {
        if (names.has(p.name)) errs.push({ type: "FieldValueDuplicate", field: `spec.ports[${i}].name`, value: p.name });
        names.add(p.name);
      }
      if (p.nodePort !== undefined && (p.nodePort < 30000 || p.nodePort > 32767)) {
        errs.push(bad(`spec.ports[${i}].nodePort`, p.nodePort, "provided port is not in the valid range. The range of valid ports is 30000-32767"));
      }
      if (p.nodePort !== undefined && s.type === "ClusterIP") errs.push({ type: "FieldValueForbidden", field: `spec.ports[${i}].nodePort`, detail: "may not be used when `type` is 'ClusterIP'" });
    }
    errs.push(...validateLabels("spec.selector", s.selector));
    return errs;
  },
  ConfigMap(o) {
    const errs: FieldError[] = [];
    const data: Obj = o.data ?? {};
    const binary: Obj = o.binaryData ?? {};
    let total = 0;
    for (const [k, v] of Object.entries(data)) {
      errs.push(...configKey(`data[${k}]`, k));
      if (Object.hasOwn(binary, k)) errs.push(bad(`data[${k}]`, k, "duplicate of key present in binaryData"));
      if (typeof v === "string") total += Buffer.byteLength(v);
    }
    for (const [k, v] of Object.entries(binary)) {
      errs.push(...configKey(`binaryData[${k}]`, k));
      if (Object.hasOwn(data, k)) errs.push(bad(`binaryData[${k}]`, k, "duplicate of key present in data"));
      if (typeof v === "string") total += Buffer.byteLength(v, "base64");
    }
    // Upstream names the whole object with an empty path, which prints as "[]".
    if (total > MAX_DATA_SIZE) errs.push({ type: "FieldValueTooLong", field: "[]", detail: `must have at most ${MAX_DATA_SIZE} bytes` });
    return errs;
  },
  Secret(o) {
    const errs: FieldError[] = [];
    let total = 0;
    for (const [k, v] of Object.entries(o.data ?? {})) {
      errs.push(...configKey(`data[${k}]`, k));
      if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) errs.push(bad(`data[${k}]`, "<secret contents redacted>", "illegal base64 data"));
      else total += Buffer.byteLength(v, "base64");
    }
    if (total > MAX_DATA_SIZE) errs.push({ type: "FieldValueTooLong", field: "data", detail: `must have at most ${MAX_DATA_SIZE} bytes` });
    return errs;
  },
  Ingress(o) {
    const errs: FieldError[] = [];
    if (o.spec?.defaultBackend) errs.push(...ingressBackend("spec.defaultBackend", o.spec.defaultBackend));
    for (const [i, r] of (o.spec?.rules ?? []).entries()) {
      if (typeof r.host === "string" && r.host !== "") {
        const host = r.host.startsWith("*.") ? r.host.slice(2) : r.host;
        if (/^[\d.]+$/.test(r.host) || r.host.includes(":")) errs.push(bad(`spec.rules[${i}].host`, r.host, "must be a DNS name, not an IP address"));
        else errs.push(...dns1123Subdomain(`spec.rules[${i}].host`, host).map((e) => ({ ...e, value: r.host })));
      }
      for (const [j, p] of (r.http?.paths ?? []).entries()) {
        const at = `spec.rules[${i}].http.paths[${j}]`;
        if (!["Exact", "Prefix", "ImplementationSpecific"].includes(p.pathType)) {
          errs.push({ type: "FieldValueNotSupported", field: `${at}.pathType`, value: p.pathType, detail: 'supported values: "Exact", "ImplementationSpecific", "Prefix"' });
        }
        if ((p.pathType === "Exact" || p.pathType === "Prefix") && !String(p.path ?? "").startsWith("/")) errs.push(bad(`${at}.path`, p.path ?? "", "must be an absolute path"));
        if (!p.backend) errs.push(required(`${at}.backend`));
        else errs.push(...ingressBackend(`${at}.backend`, p.backend));
      }
    }
    return errs;
  },
  LimitRange: (o) => validateLimitRange(o),
  RuntimeClass: (o) => validateRuntimeClass(o as RuntimeClassObject),
  CustomResourceDefinition(o) {
    const s = o.spec ?? {};
    const errs: FieldError[] = [];
    if (!s.group) errs.push(required("spec.group"));
    if (!s.names?.plural) errs.push(required("spec.names.plural"));
    if (!s.names?.kind) errs.push(required("spec.names.kind"));
    if (!["Namespaced", "Cluster"].includes(s.scope)) errs.push({ type: "FieldValueNotSupported", field: "spec.scope", value: s.scope, detail: 'supported values: "Cluster", "Namespaced"' });
    if (!(s.versions ?? []).length) errs.push(required("spec.versions"));
    if ((s.versions ?? []).filter((v: Obj) => v.storage).length !== 1) errs.push(bad("spec.versions", s.versions?.length ?? 0, "must have exactly one version marked as storage version"));
    if (s.group && s.names?.plural && o.metadata?.name !== `${s.names.plural}.${s.group}`) {
      errs.push(bad("metadata.name", o.metadata?.name, `must be spec.names.plural+"."+spec.group`));
    }
    return errs;
  },
};

/** Field errors for an object about to be created (or, with old, updated). */
export function validateObject(kind: string, obj: Obj, namespaced: boolean): FieldError[] {
  return [...validateObjectMeta(kind, obj, namespaced), ...(validators[kind]?.(obj) ?? [])];
}

const immutable = (field: string, value: unknown): FieldError => ({ type: "FieldValueInvalid", field, value, detail: "field is immutable" });

const same = jsonEqual;

/** Rules that compare an update with the object it replaces. */
export function validateUpdate(kind: string, obj: Obj, old: Obj): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case "Deployment": case "ReplicaSet": case "DaemonSet": case "StatefulSet":
      if (!same(obj.spec?.selector, old.spec?.selector)) errs.push(immutable("spec.selector", obj.spec?.selector));
      break;
    case "Job":
      if (!same(obj.spec?.selector, old.spec?.selector)) errs.push(immutable("spec.selector", obj.spec?.selector));
      if (!same(obj.spec?.template, old.spec?.template) && !old.spec?.suspend) errs.push(immutable("spec.template", obj.spec?.template));
      if (!same(obj.spec?.completions, old.spec?.completions)) errs.push(immutable("spec.completions", obj.spec?.completions));
      break;
    case "Service":
      if (old.spec?.clusterIP && old.spec.type !== "ExternalName" && obj.spec?.type !== "ExternalName" && obj.spec?.clusterIP !== old.spec.clusterIP) {
        errs.push(immutable("spec.clusterIPs[0]", obj.spec?.clusterIP ?? ""));
      }
      break;
    case "ConfigMap": case "Secret":
      if (old.immutable) {
        if (!same(obj.data, old.data) || !same(obj.binaryData, old.binaryData)) errs.push({ type: "FieldValueForbidden", field: "data", detail: "field is immutable when `immutable` is set" });
        if (!obj.immutable) errs.push({ type: "FieldValueForbidden", field: "immutable", detail: "field is immutable when `immutable` is set" });
      }
      if (kind === "Secret" && obj.type !== old.type) errs.push(immutable("type", obj.type));
      break;
    case "Pod": {
      const strip = (spec: Obj | undefined) => {
        const s = structuredClone(spec ?? {});
        for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
        delete s.activeDeadlineSeconds;
        delete s.tolerations;
        delete s.terminationGracePeriodSeconds;
        delete s.ephemeralContainers;
        return s;
      };
      if (!same(strip(obj.spec), strip(old.spec))) {
        errs.push({ type: "FieldValueForbidden", field: "spec", detail: "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)" });
      }
      break;
    }
    case "PersistentVolumeClaim":
      if (old.spec?.volumeName && !same(obj.spec?.accessModes, old.spec?.accessModes)) errs.push(immutable("spec.accessModes", obj.spec?.accessModes));
      break;
    case "StorageClass":
      if (obj.provisioner !== old.provisioner) errs.push(immutable("provisioner", obj.provisioner));
      break;
    case "RuntimeClass":
      if (obj.handler !== old.handler) errs.push(immutable("handler", obj.handler));
      break;
    case "CustomResourceDefinition":
      if (obj.spec?.scope !== old.spec?.scope) errs.push(immutable("spec.scope", obj.spec?.scope));
      break;
  }
  return errs;
}
