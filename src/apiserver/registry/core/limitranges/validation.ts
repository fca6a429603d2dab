/**
 * Upstream's ValidateLimitRange: each limit type once, resource names that
 * fit the type, and min <= defaultRequest <= default <= max with a ratio of
 * at least 1 that min and max leave room for. Quantities themselves were
 * checked when the body was read (type-check.ts).
 */
import type { LimitRange } from "kubernetes-types/core/v1.js";
import type { FieldError } from "../../../../api/errors.js";
import { ExactQuantity, MAX_MILLI_VALUE } from "../../../../api/exact-quantity.js";

const STANDARD_LIMIT_TYPES = new Set(["Pod", "Container", "PersistentVolumeClaim"]);
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
/** Upstream's standard resource names (helper.IsStandardResourceName) that a PersistentVolumeClaim or custom limit may name. */
const STANDARD_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage", "storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
  "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
  "services.nodeports", "services.loadbalancers"]);

const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({ type: "FieldValueInvalid", field, value, detail });

function qualified(value: string): boolean {
  const parts = value.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && (parts[0]!.length > 253 || !DNS1123_SUBDOMAIN.test(parts[0]!))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function validateTypeName(type: string | undefined, field: string): FieldError[] {
  const value = type ?? "";
  if (!qualified(value)) {
    return [invalidValue(field, value, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")];
  }
  if (!value.includes("/") && !STANDARD_LIMIT_TYPES.has(value)) return [invalidValue(field, value, "must be a standard limit type or fully qualified")];
  return [];
}

function validateResourceName(type: string | undefined, name: string, field: string): FieldError[] {
  if (!qualified(name)) return [invalidValue(field, name, "must be a standard resource type or fully qualified")];
  if (name.includes("/")) return [];
  if (type === "Pod" || type === "Container") {
    return CONTAINER_RESOURCES.has(name) || name.startsWith("hugepages-") ? [] : [invalidValue(field, name, "must be a standard resource for containers")];
  }
  return STANDARD_RESOURCES.has(name) || name.startsWith("hugepages-") ? [] : [invalidValue(field, name, "must be a standard resource type or fully qualified")];
}

/** Resources a LimitRange may not overcommit: their default limit and request must match (upstream's IsOvercommitAllowed). */
const noOvercommit = (name: string) => name.startsWith("hugepages-") || (name.includes("/") && !name.includes("kubernetes.io/"));

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const seenTypes = new Set<string>();
  for (const [i, item] of (lr.spec?.limits ?? []).entries()) {
    const at = `spec.limits[${i}]`;
    errs.push(...validateTypeName(item.type, `${at}.type`));
    if (seenTypes.has(item.type)) errs.push({ type: "FieldValueDuplicate", field: `${at}.type`, value: item.type });
    seenTypes.add(item.type);

    const maps: Record<string, Map<string, ExactQuantity>> = {};
    const keys = new Set<string>();
    const read = (which: "max" | "min" | "default" | "defaultRequest" | "maxLimitRequestRatio") => {
      const out = new Map<string, ExactQuantity>();
      for (const [name, text] of Object.entries(item[which] ?? {})) {
        errs.push(...validateResourceName(item.type, name, `${at}.${which}[${name}]`));
        keys.add(name);
        const q = ExactQuantity.parse(text);
        if (q) out.set(name, q);
      }
      maps[which] = out;
    };
    read("max");
    read("min");
    if (item.type === "Pod") {
      if (Object.keys(item.default ?? {}).length) errs.push({ type: "FieldValueForbidden", field: `${at}.default`, detail: "may not be specified when `type` is 'Pod'" });
      if (Object.keys(item.defaultRequest ?? {}).length) errs.push({ type: "FieldValueForbidden", field: `${at}.defaultRequest`, detail: "may not be specified when `type` is 'Pod'" });
      maps.default = new Map();
      maps.defaultRequest = new Map();
    } else {
      read("default");
      read("defaultRequest");
    }
    if (item.type === "PersistentVolumeClaim" && item.min?.storage === undefined && item.max?.storage === undefined) {
      errs.push({ type: "FieldValueRequired", field: `${at}.limits`, detail: "either minimum or maximum storage value is required, but neither was provided" });
    }
    read("maxLimitRequestRatio");

    for (const k of [...keys].sort()) {
      const min = maps.min!.get(k);
      const max = maps.max!.get(k);
      const def = maps.default!.get(k);
      const defReq = maps.defaultRequest!.get(k);
      const ratio = maps.maxLimitRequestRatio!.get(k);
      if (min && max && min.cmp(max) > 0) errs.push(invalidValue(`${at}.min[${k}]`, String(min), `min value ${min} is greater than max value ${max}`));
      if (defReq && min && min.cmp(defReq) > 0) errs.push(invalidValue(`${at}.defaultRequest[${k}]`, String(defReq), `min value ${min} is greater than default request value ${defReq}`));
      if (defReq && max && defReq.cmp(max) > 0) errs.push(invalidValue(`${at}.defaultRequest[${k}]`, String(defReq), `default request value ${defReq} is greater than max value ${max}`));
      if (defReq && def && defReq.cmp(def) > 0) errs.push(invalidValue(`${at}.defaultRequest[${k}]`, String(defReq), `default request value ${defReq} is greater than default limit value ${def}`));
      if (def && min && min.cmp(def) > 0) errs.push(invalidValue(`${at}.default[${k}]`, String(min), `min value ${min} is greater than default value ${def}`));
      if (def && max && def.cmp(max) > 0) errs.push(invalidValue(`${at}.default[${k}]`, String(max), `default value ${def} is greater than max value ${max}`));
      if (ratio && ratio.cmp(ExactQuantity.parse("1")!) < 0) errs.push(invalidValue(`${at}.maxLimitRequestRatio[${k}]`, String(ratio), `ratio ${ratio} is less than 1`));
      if (ratio && min && max) {
        const milli = ratio.value() < MAX_MILLI_VALUE && min.value() < MAX_MILLI_VALUE && max.value() < MAX_MILLI_VALUE;
        const ratioValue = milli ? Number(ratio.milliValue()) / 1000 : Number(ratio.value());
        const bound = milli ? Number(max.milliValue()) / Number(min.milliValue()) : Number(max.value()) / Number(min.value());
        if (ratioValue > bound) errs.push(invalidValue(`${at}.maxLimitRequestRatio[${k}]`, String(ratio), `ratio ${ratio} is greater than max/min = ${bound.toFixed(6)}`));
      }
      if (noOvercommit(k) && def && defReq && def.cmp(defReq) !== 0) {
        errs.push(invalidValue(`${at}.defaultRequest[${k}]`, String(defReq), `default value ${def} must equal to defaultRequest value ${defReq} in ${k}`));
      }
    }
  }
  return errs;
}
