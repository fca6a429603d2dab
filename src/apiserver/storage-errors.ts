/**
 * Storage errors that reach a client as a Status of their own instead of a 500.
 * A write over the store's request limit is the client's doing (a too-large
 * object), so it is answered 413 RequestEntityTooLarge with etcd's message, on
 * SQLite as on etcd. Upstream v1.32 lets etcd's error through as a 500 with
 * reason "" (kubernetes/kubernetes#112152 asks for better); Skiff never answers
 * bad input with a 500, and 413 is what the API server already answers for a
 * body over its own 3 MiB limit.
 */
import { ApiError } from "../api/errors.js";
import { isStoreError } from "../storage/index.js";

export function storageErrorStatus(err: unknown): ApiError | undefined {
  if (isStoreError(err, "RequestTooLarge")) return new ApiError(413, "RequestEntityTooLarge", err.message);
  return undefined;
}
