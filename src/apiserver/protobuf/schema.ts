/**
 * The compact wire-schema format that schemas.generated.ts is written in (by
 * scripts/gen-protobuf-schemas.mjs from upstream's Go type definitions).
 *
 * A message is { fieldNumber: spec }. A spec reads "jsonName:type", where type is
 * - a scalar: string, bytes (base64 in JSON), int (varint, signed 64-bit), uint, bool,
 *   double (fixed64), float (fixed32);
 * - a type with a JSON form of its own: time (metav1.Time, RFC 3339 seconds),
 *   microtime, duration (metav1.Duration, Go's "1h2m3s"), quantity, intstr,
 *   rawext (runtime.RawExtension: an embedded object, JSON or k8s-enveloped
 *   protobuf), rawjson (any JSON value: apiextensions JSON, metav1.FieldsV1);
 * - a message name, "<group>/<version>.<Type>" (meta/v1.ObjectMeta);
 * - `map<K,V>` (V any of these), or `list<T>` (a named slice type such as
 *   metav1.Verbs: a message whose field 1 repeats T, a JSON array).
 * Prefix `[]` repeated; `~MessageName` (no json name) an embedded struct whose
 * fields are inlined in JSON. Suffix `!` keeps a zero value ("", 0, false) where
 * Go's encoding/json would write it: a pointer field, or one without omitempty.
 */
export type MessageSchema = Record<number, string>;

export interface FieldType {
  /** The JSON name; "" for an inlined struct. */
  name: string;
  type: string;
  repeated: boolean;
  inline: boolean;
  keepZero: boolean;
}

/** Parses one field spec of the format above. */
export function parseFieldSpec(spec: string): FieldType {
  const inline = spec.startsWith("~");
  let name = "";
  let typeSpec = spec.slice(1);
  if (!inline) {
    // JSON names never hold ':' (`$ref` and `x-kubernetes-*` do hold other punctuation).
    const at = spec.indexOf(":");
    name = spec.slice(0, at);
    typeSpec = spec.slice(at + 1);
  }
  const repeated = typeSpec.startsWith("[]");
  const keepZero = typeSpec.endsWith("!");
  const type = typeSpec.replace(/^\[\]/, "").replace(/!$/, "");
  return { name, type, repeated, inline, keepZero };
}
