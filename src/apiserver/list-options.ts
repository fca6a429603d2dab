/**
 * A list's or watch's query parameters read as upstream reads them into
 * metainternalversion.ListOptions: numbers are Go int64s (a malformed or
 * out-of-range one is a 400 from the parameter decoder, not a store error),
 * then ValidateListOptions' rules (a 422 on ListOptions.meta.k8s.io).
 */
import { ApiError, badRequest, invalid, type FieldError } from "../api/errors.js";
import { boolQueryParam } from "../api/query-params.js";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** A query parameter as Go's strconv.ParseInt(s, 10, 64) reads it; undefined when absent. */
export function int64QueryParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n > INT64_MAX || n < INT64_MIN) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Number(n);
}

/** A resourceVersion as upstream's APIObjectVersioner parses it ("" and "0" are 0); a bad one is a 400. */
export function parseResourceVersion(rv: string): number {
  if (rv === "" || rv === "0") return 0;
  // strconv.ParseUint: digits only, at most 2^64-1.
  if (!/^\d+$/.test(rv)) throw invalidResourceVersion(rv, "invalid syntax");
  if (BigInt(rv) > 2n ** 64n - 1n) throw invalidResourceVersion(rv, "value out of range");
  return Number(rv);
}

function invalidResourceVersion(rv: string, why: string): ApiError {
  const quoted = JSON.stringify(rv);
  return badRequest(`invalid resource version: resourceVersion: Invalid value: ${quoted}: strconv.ParseUint: parsing ${quoted}: ${why}`);
}

/**
 * The numbers of a list or watch, decoded (400 when malformed), then its
 * combination checked (ValidateListOptions, 422). A limit of zero or less
 * lists everything, as upstream pages only for a positive one.
 */
export function decodeListOptions(query: URLSearchParams): { limit?: number; timeoutSeconds?: number } {
  const limit = int64QueryParam(query, "limit");
  const timeoutSeconds = int64QueryParam(query, "timeoutSeconds");
  validateListOptions(query);
  return { limit: limit !== undefined && limit > 0 ? limit : undefined, timeoutSeconds };
}

/** ValidateListOptions: what a list or a watch may not combine. */
export function validateListOptions(query: URLSearchParams): void {
  const errors: FieldError[] = [];
  const forbidden = (detail: string) => errors.push({ type: "FieldValueForbidden", field: "resourceVersionMatch", detail });
  const match = query.get("resourceVersionMatch") ?? "";
  const rv = query.get("resourceVersion") ?? "";
  const watch = boolQueryParam(query, "watch");
  if (watch) {
    if (match) forbidden("resourceVersionMatch is forbidden for watch");
  } else {
    if (match) {
      if (!rv) forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided");
      if (query.get("continue")) forbidden("resourceVersionMatch is forbidden when continue is provided");
      if (match !== "Exact" && match !== "NotOlderThan") {
        errors.push({ type: "FieldValueNotSupported", field: "resourceVersionMatch", value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
      }
      if (match === "Exact" && rv === "0") forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
    if (query.has("sendInitialEvents")) errors.push({ type: "FieldValueForbidden", field: "sendInitialEvents", detail: "sendInitialEvents is forbidden for list" });
  }
  if (errors.length) {
    const err = invalid("ListOptions", "meta.k8s.io", "", errors);
    // Upstream's details name the kind and group, no name.
    throw new ApiError(err.code, err.reason, err.message, { group: "meta.k8s.io", kind: "ListOptions", causes: err.details?.causes });
  }
}
