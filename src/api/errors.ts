/** A Kubernetes `Status` failure: one error class with upstream's reasons and codes. */
export type StatusReason =
  | "BadRequest" | "Unauthorized" | "Forbidden" | "NotFound" | "AlreadyExists" | "Conflict"
  | "Gone" | "Expired" | "Invalid" | "MethodNotAllowed" | "NotAcceptable" | "UnsupportedMediaType"
  | "RequestEntityTooLarge" | "TooManyRequests" | "InternalError" | "Timeout" | "ServiceUnavailable";

export interface StatusCause { reason?: string; message: string; field?: string }

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toStatus(): Status {
    const s: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `deployments.apps` for a named group, `pods` for the core group. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (resource: string, group: string, name: string) =>
  new ApiError(404, "NotFound", `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (resource: string, group: string, name: string) =>
  new ApiError(409, "AlreadyExists", `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (resource: string, group: string, name: string, why = "the object has been modified; please apply your changes to the latest version and try again") =>
  new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group, kind: resource });

export const badRequest = (message: string) => new ApiError(400, "BadRequest", message);

export const expired = (message: string) => new ApiError(410, "Expired", message);

export const methodNotAllowed = (verb: string, what: string) =>
  new ApiError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${verb} ${what})`);

export const pathNotFound = () => new ApiError(404, "NotFound", "the server could not find the requested resource");

export const internalError = (err: unknown) =>
  new ApiError(500, "InternalError", `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);

/** One invalid field, as upstream's field.Error. */
export interface FieldError { type: FieldErrorType; field: string; value?: unknown; detail?: string }
export type FieldErrorType = "FieldValueRequired" | "FieldValueInvalid" | "FieldValueNotSupported" | "FieldValueNotFound" | "FieldValueForbidden" | "FieldValueDuplicate" | "FieldValueTooLong" | "FieldValueTooMany";

/** A bad value printed as upstream prints a Go struct (`%#v`), not as JSON. */
export class GoSyntax {
  constructor(readonly text: string) {}
}

function describeValue(v: unknown): string {
  if (v instanceof GoSyntax) return v.text;
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "null";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function fieldErrorMessage(e: FieldError): string {
  switch (e.type) {
    case "FieldValueRequired": return `Required value${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueForbidden": return `Forbidden${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueDuplicate": return `Duplicate value: ${describeValue(e.value)}`;
    case "FieldValueNotSupported": return `Unsupported value: ${describeValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueNotFound": return `Not found: ${describeValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueTooLong": return `Too long: ${e.detail ?? ""}`;
    case "FieldValueTooMany": return `Too many: ${describeValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
    default: return `Invalid value: ${describeValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
  }
}

/** 422 Invalid, with one cause per field error, as `kubectl` rebuilds its message from them. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const text = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  const qualified = group ? `${kind}.${group}` : kind;
  return new ApiError(422, "Invalid", `${qualified} "${name}" is invalid: ${text}`, { name, group, kind, causes });
}

export function isApiError(err: unknown, reason?: StatusReason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}
export const isNotFound = (err: unknown) => isApiError(err, "NotFound");
export const isConflict = (err: unknown) => isApiError(err, "Conflict");
export const isAlreadyExists = (err: unknown) => isApiError(err, "AlreadyExists");
