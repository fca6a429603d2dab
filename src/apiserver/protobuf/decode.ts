import { ApiError } from "../../api/errors.js";

/** Decodes a `k8s\0`-enveloped protobuf object into its JSON form. */
export function decodeProtobufObject(_body: Buffer): Record<string, unknown> {
  throw new ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf request bodies are not supported yet)");
}
