/**
 * The building blocks of validation that several resources share, as
 * upstream's apimachinery and pkg/apis/core validation: names, labels,
 * object metadata, pod specs and workload templates. Each resource's own
 * rules are in its strategy (src/apiserver/registry/<group>/<resource>/).
 * Each function returns field errors; an empty list means valid.
 */
import type { Container, PodSpec, PodTemplateSpec, VolumeMount } from "kubernetes-types/core/v1.js";
import type { LabelSelector, ObjectMeta } from "kubernetes-types/meta/v1.js";
import { GoSyntax, type FieldError } from "./errors.js";
import { jsonEqual } from "./json-equal.js";
import { labelSelectorRequirements, matchesLabels } from "./selectors.js";

/*
 * The objects here are typed as their kinds, but they are what a client sent,
 * before validation: the API server's checkTypes (upstream's decoding) has
 * refused values of the wrong JSON type, yet any field may still be null or
 * absent, so every read tolerates both. The checks of a value's JSON type that
 * remain (a port, a label value, a finalizer, an enum through `supported`)
 * stay: they make such a value a field error, a 422, wherever it comes from.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const required = (field: string, detail?: string): FieldError => ({ type: "FieldValueRequired", field, detail });
export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });

/** Whether value is one of an enum's values (an absent or non-string value is not). */
const supported = (values: readonly string[], value: unknown): boolean => typeof value === "string" && values.includes(value);

export function dns1123Subdomain(field: string, value: string): FieldError[] {
  if (value.length > 253) return [invalidValue(field, value, "must be no more than 253 characters")];
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return [invalidValue(field, value, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
  }
  return [];
}

export function dns1123Label(field: string, value: string): FieldError[] {
  if (value.length > 63) return [invalidValue(field, value, "must be no more than 63 characters")];
  if (!DNS1123_LABEL.test(value)) {
    return [invalidValue(field, value, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")];
  }
  return [];
}

export function dns1035Label(field: string, value: string): FieldError[] {
  if (value.length > 63) return [invalidValue(field, value, "must be no more than 63 characters")];
  if (!DNS1035_LABEL.test(value)) {
    return [invalidValue(field, value, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")];
  }
  return [];
}

/** Upstream's ValidateQualifiedName: an optional DNS subdomain prefix and "/", then a name part of at most 63 characters. */
export function qualifiedName(field: string, key: string): FieldError[] {
  const parts = key.split("/");
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const errs: FieldError[] = [];
  if (parts.length > 2) return [invalidValue(field, key, "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")];
  if (parts.length === 2) errs.push(...dns1123Subdomain(field, parts[0]!).map((e) => ({ ...e, value: key, detail: "prefix part " + e.detail })));
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errs.push(invalidValue(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
  }
  return errs;
}

export function validateLabels(field: string, labels: Record<string, unknown> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...qualifiedName(field, k));
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      errs.push(invalidValue(`${field}`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
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
  if (key.length > 253) errs.push(invalidValue(field, key, "must be no more than 253 characters"));
  if (!CONFIG_KEY.test(key)) {
    errs.push(invalidValue(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
  }
  if (key === ".") errs.push(invalidValue(field, key, "must not be '.'"));
  else if (key === "..") errs.push(invalidValue(field, key, "must not be '..'"));
  else if (key.startsWith("..")) errs.push(invalidValue(field, key, "must not start with '..'"));
  return errs;
}

/** A rule for metadata.name (upstream's ValidateNameFunc). */
export type NameValidation = (field: string, name: string) => FieldError[];

/**
 * Names that are path segments upstream (ValidatePathSegmentName: RBAC
 * objects, so `system:node` is valid, Events, CRDs): the store itself
 * refuses '/', '%', '.' and '..', nothing more is asked here.
 */
export const pathSegmentName: NameValidation = () => [];

/** nameValidation: the resource's rule for metadata.name, a DNS-1123 subdomain unless it has its own. */
export function validateObjectMeta(obj: { metadata?: ObjectMeta }, namespaced: boolean, nameValidation: NameValidation = dns1123Subdomain): FieldError[] {
  const m = obj.metadata ?? {};
  const errs: FieldError[] = [];
  if (!m.name) errs.push(required("metadata.name", "name or generateName is required"));
  else errs.push(...nameValidation("metadata.name", m.name));
  if (namespaced && !m.namespace) errs.push(required("metadata.namespace"));
  errs.push(...validateLabels("metadata.labels", m.labels));
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    errs.push(...qualifiedName("metadata.annotations", k.toLowerCase()));
    annotationBytes += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
  }
  if (annotationBytes > MAX_ANNOTATIONS_SIZE) errs.push({ type: "FieldValueTooLong", field: "metadata.annotations", detail: `must have at most ${MAX_ANNOTATIONS_SIZE} bytes` });
  for (const [i, f] of (m.finalizers ?? []).entries()) {
    if (typeof f !== "string" || !f) errs.push(invalidValue(`metadata.finalizers[${i}]`, f, "name must be a non-empty string"));
  }
  errs.push(...validateSingleController(m.ownerReferences));
  return errs;
}

/**
 * The metadata an update may not change, as upstream's
 * ValidateObjectMetaAccessorUpdate, for every resource. The store has already
 * done what upstream's BeforeUpdate does (an absent uid is the stored one,
 * creationTimestamp and generation are the stored ones, the deletion marks of
 * an object being deleted are kept), and refuses another name or namespace
 * before this with a 400, as upstream's handlers do; what is left is a uid of
 * another object, and deletion marks a client set or changed.
 */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const given = (v: unknown) => (v === null || v === "" ? undefined : v);
  if (given(meta.uid) !== given(old.uid)) errs.push(immutable("metadata.uid", meta.uid));
  if (given(meta.deletionTimestamp) !== given(old.deletionTimestamp)) {
    const t = given(meta.deletionTimestamp);
    errs.push(immutable("metadata.deletionTimestamp", t === undefined ? undefined : new GoSyntax(goTime(String(t)))));
  }
  if (given(meta.deletionGracePeriodSeconds) !== given(old.deletionGracePeriodSeconds)) errs.push(immutable("metadata.deletionGracePeriodSeconds", given(meta.deletionGracePeriodSeconds)));
  return errs;
}

/** A timestamp as Go's time.Time prints itself (how upstream shows a bad metav1.Time), on a server in UTC. */
function goTime(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const frac = rfc3339.match(/\.(\d+)/)?.[1]?.replace(/0+$/, "");
  return `${d.toISOString().slice(0, 19).replace("T", " ")}${frac ? "." + frac : ""} +0000 UTC`;
}

/**
 * At most one owner is the controller (upstream's ValidateOwnerReferences):
 * what keeps two controllers racing to adopt one orphan from both owning it.
 */
function validateSingleController(refs: unknown): FieldError[] {
  if (!Array.isArray(refs)) return [];
  let first: string | undefined;
  for (const ref of refs as { kind?: string; name?: string; controller?: boolean }[]) {
    if (ref?.controller !== true) continue;
    const name = `${ref.kind}/${ref.name}`;
    if (first === undefined) { first = name; continue; }
    return [invalidValue("metadata.ownerReferences", refs, `Only one reference can have Controller set to true. Found "true" in references for ${first} and ${name}`)];
  }
  return [];
}

function validateContainers(path: string, containers: Container[] | undefined, requireOne: boolean): FieldError[] {
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
      if (typeof n !== "number" || n < 1 || n > 65535) errs.push(invalidValue(`${p}.ports[${j}].containerPort`, n, "must be between 1 and 65535, inclusive"));
      if (!supported(["TCP", "UDP", "SCTP"], port.protocol)) errs.push({ type: "FieldValueNotSupported", field: `${p}.ports[${j}].protocol`, value: port.protocol, detail: 'supported values: "SCTP", "TCP", "UDP"' });
    }
    if (!supported(["Always", "IfNotPresent", "Never"], c.imagePullPolicy)) {
      errs.push({ type: "FieldValueNotSupported", field: `${p}.imagePullPolicy`, value: c.imagePullPolicy, detail: 'supported values: "Always", "IfNotPresent", "Never"' });
    }
    for (const [j, e] of (c.env ?? []).entries()) if (!e.name) errs.push(required(`${p}.env[${j}].name`));
    errs.push(...validateVolumeMountPaths(`${p}.volumeMounts`, c.volumeMounts));
  }
  return errs;
}

/**
 * subPath and subPathExpr as upstream's ValidateVolumeMounts: each a relative
 * path without '..', and not both. Upstream names the path errors after the
 * list, not the item (`volumeMounts.subPath`), and so does this.
 */
function validateVolumeMountPaths(path: string, mounts: VolumeMount[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [j, m] of (mounts ?? []).entries()) {
    if (m.subPath) errs.push(...localDescendingPath(`${path}.subPath`, m.subPath));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalidValue(`${path}[${j}].subPathExpr`, m.subPathExpr, "subPathExpr and subPath are mutually exclusive"));
      errs.push(...localDescendingPath(`${path}.subPathExpr`, m.subPathExpr));
    }
  }
  return errs;
}

/** Upstream's validateLocalDescendingPath: a relative path that never steps up. */
export function localDescendingPath(field: string, value: string): FieldError[] {
  const errs: FieldError[] = [];
  if (value.startsWith("/")) errs.push(invalidValue(field, value, "must be a relative path"));
  if (value.split("/").includes("..")) errs.push(invalidValue(field, value, "must not contain '..'"));
  return errs;
}

/** claimVolumes: names a StatefulSet's volumeClaimTemplates add to its pods' volumes. */
export function validatePodSpec(path: string, spec: PodSpec | undefined, claimVolumes: string[] = []): FieldError[] {
  if (!spec) return [required(path)];
  const errs = [
    ...validateContainers(`${path}.containers`, spec.containers, true),
    ...validateContainers(`${path}.initContainers`, spec.initContainers, false),
  ];
  if (!supported(["Always", "OnFailure", "Never"], spec.restartPolicy)) {
    errs.push({ type: "FieldValueNotSupported", field: `${path}.restartPolicy`, value: spec.restartPolicy, detail: 'supported values: "Always", "OnFailure", "Never"' });
  }
  if (!supported(["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"], spec.dnsPolicy)) {
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
      if (m.name && !volumes.has(m.name)) errs.push({ type: "FieldValueNotFound", field: `${path}.containers[${i}].volumeMounts[${j}].name`, value: m.name });
    }
  }
  return errs;
}

/** A workload's selector and pod template (Deployments, ReplicaSets, StatefulSets, DaemonSets). */
export function validateSelectorAndTemplate(spec: { selector?: LabelSelector; template?: PodTemplateSpec }, claimVolumes: string[] = []): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) errs.push(required("spec.selector"));
  const template = spec.template;
  if (!template) return [...errs, required("spec.template")];
  errs.push(...validateLabels("spec.template.metadata.labels", template.metadata?.labels));
  if (sel && errs.length === 0 && !matchesLabels(labelSelectorRequirements(sel), template.metadata?.labels)) {
    errs.push(invalidValue("spec.template.metadata.labels", template.metadata?.labels ?? {}, "`selector` does not match template `labels`"));
  }
  errs.push(...validatePodSpec("spec.template.spec", template.spec, claimVolumes));
  return errs;
}

export function nonNegative(field: string, v: unknown): FieldError[] {
  if (v === undefined) return [];
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? [] : [invalidValue(field, v, "must be greater than or equal to 0")];
}

export const immutable = (field: string, value: unknown): FieldError => ({ type: "FieldValueInvalid", field, value, detail: "field is immutable" });

/** A workload's selector never changes (upstream's ValidateImmutableField on spec.selector). */
export function immutableSelector(obj: { spec?: { selector?: unknown } }, old: { spec?: { selector?: unknown } }): FieldError[] {
  return jsonEqual(obj.spec?.selector, old.spec?.selector) ? [] : [immutable("spec.selector", obj.spec?.selector)];
}

/** ConfigMaps and Secrets marked immutable keep their data, and stay immutable. */
export function immutableData(obj: { immutable?: boolean; data?: unknown; binaryData?: unknown }, old: { immutable?: boolean; data?: unknown; binaryData?: unknown }): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  if (!jsonEqual(obj.data, old.data) || !jsonEqual(obj.binaryData, old.binaryData)) errs.push({ type: "FieldValueForbidden", field: "data", detail: "field is immutable when `immutable` is set" });
  if (!obj.immutable) errs.push({ type: "FieldValueForbidden", field: "immutable", detail: "field is immutable when `immutable` is set" });
  return errs;
}
