/**
 * JSON values as they come off the wire (request bodies, OpenAPI documents,
 * another component's replies), and the guard that narrows an unknown member
 * of one to an object before its fields are read.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject { [member: string]: JsonValue }

/** A JSON object (not null, not an array): its members may be read by name. */
export function isObject(v: unknown): v is { [member: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
