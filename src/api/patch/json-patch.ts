import jsonpatch from "fast-json-patch";
import { ApiError } from "../errors.js";

/** RFC 6902 JSON patch. A failed `test` or a bad path is the client's error (422), as upstream. */
export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new ApiError(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  try {
    return jsonpatch.applyPatch(structuredClone(target), patch as jsonpatch.Operation[], true, false).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    const message = e.name === "TEST_OPERATION_FAILED" ? "the test operation failed" : (e.message ?? String(err)).split("\n")[0];
    throw new ApiError(422, "Invalid", `the server rejected our request due to an error in our request: ${message}`);
  }
}
