/**
 * Turns a protobuf request body (`k8s\0` + runtime.Unknown) into the JSON
 * object it encodes, with the generated wire schemas (schemas.generated.ts).
 * The result is what Go's encoding/json would write for the same Go struct:
 * Go's protobuf code writes every non-pointer scalar, so zero values of fields
 * tagged omitempty are dropped, while pointer fields and fields without
 * omitempty keep theirs (`replicas: 0`, `allowPrivilegeEscalation: false`).
 */
import { valueTooDeep } from "../json-depth.js";
import { ApiError, badRequest } from "../../api/errors.js";
import { kinds, messages } from "./schemas.generated.js";
import { parseFieldSpec, type FieldType } from "./schema.js";
import { readFields, readVarint, type WireField } from "./wire.js";
import { rfc3339 } from "../../api/time.js";

type Obj = Record<string, unknown>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Nesting beyond this is refused before the recursion could exhaust the stack. */
const MAX_DEPTH = 200;

const parsed = new Map<string, Map<number, FieldType>>();

function schemaOf(message: string): Map<number, FieldType> {
  let m = parsed.get(message);
  if (m) return m;
  const raw = messages[message];
  if (!raw) throw new Error(`no wire schema for ${message}`);
  m = new Map(Object.entries(raw).map(([no, spec]) => [Number(no), parseFieldSpec(spec)]));
  parsed.set(message, m);
  return m;
}

/**
 * Types whose Go MarshalJSON is not their struct's: each either embeds a schema
 * or holds a plain value (apiextensions' JSONSchemaPropsOr{Array,Bool,StringArray}).
 */
const customJson: Record<string, (m: Obj) => unknown> = {
  // Their Go fields have no json tags, hence the Go field names.
  "apiextensions/v1.JSONSchemaPropsOrArray": (m) => m.Schema ?? m.JSONSchemas ?? [],
  "apiextensions/v1.JSONSchemaPropsOrBool": (m) => m.Schema ?? m.Allows ?? false,
  "apiextensions/v1.JSONSchemaPropsOrStringArray": (m) => m.Schema ?? m.Property ?? [],
};

function asBuffer(f: WireField): Buffer {
  if (!Buffer.isBuffer(f.value) || f.type !== 2) throw new Error(`field ${f.no}: expected a length-delimited value`);
  return f.value;
}

function asVarint(f: WireField): bigint {
  if (typeof f.value !== "bigint") throw new Error(`field ${f.no}: expected a varint`);
  return f.value;
}

const toSigned = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** Fields of a small message by number, for the wrappers below (last one wins, as in protobuf). */
function decodeMessageRaw(buf: Buffer): Map<number, Buffer | bigint> {
  const out = new Map<number, Buffer | bigint>();
  for (const f of readFields(buf)) out.set(f.no, f.value);
  return out;
}

const str = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return Buffer.isBuffer(v) ? v.toString("utf8") : undefined; };
const bytesOf = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return Buffer.isBuffer(v) ? v : Buffer.alloc(0); };
const num = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return typeof v === "bigint" ? v : 0n; };

/** Go's time.Duration.String() of a count of nanoseconds: "1h0m0s", "1.5s", "300ms", "0s". */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const u = ns < 0n ? -ns : ns;
  const frac = (v: bigint, unit: bigint, digits: number) => {
    const rem = (v % unit).toString().padStart(digits, "0").replace(/0+$/, "");
    return `${v / unit}${rem ? `.${rem}` : ""}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1000000n) return `${sign}${frac(u, 1000n, 3)}µs`;
  if (u < 1000000000n) return `${sign}${frac(u, 1000000n, 6)}ms`;
  const s = u / 1000000000n;
  const h = s / 3600n, m = (s % 3600n) / 60n;
  const secs = frac((s % 60n) * 1000000000n + (u % 1000000000n), 1000000000n, 9);
  return `${sign}${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${secs}s`;
}

function parseJson(raw: Buffer, what: string): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
  }
}

function scalar(type: string, f: WireField, depth: number): unknown {
  switch (type) {
    case "string": return asBuffer(f).toString("utf8");
    case "bytes": return asBuffer(f).toString("base64");
    case "int": return toSigned(asVarint(f));
    case "uint": return Number(BigInt.asUintN(64, asVarint(f)));
    case "bool": return asVarint(f) !== 0n;
    case "double": {
      if (!Buffer.isBuffer(f.value) || f.type !== 1) throw new Error(`field ${f.no}: expected a 64-bit value`);
      return f.value.readDoubleLE(0);
    }
    case "float": {
      if (!Buffer.isBuffer(f.value) || f.type !== 5) throw new Error(`field ${f.no}: expected a 32-bit value`);
      return f.value.readFloatLE(0);
    }
    case "time":
    case "microtime": {
      // google.protobuf.Timestamp's shape: seconds (1), nanos (2). A zero time is written as an empty message.
      const t = decodeMessageRaw(asBuffer(f));
      const seconds = toSigned(num(t, 1));
      const nanos = toSigned(num(t, 2));
      if (!seconds && !nanos) return undefined;
      const whole = rfc3339(seconds * 1000);
      if (type === "time") return whole;
      // MicroTime keeps microseconds: RFC 3339 with six fractional digits.
      return whole.replace(/Z$/, `.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z`);
    }
    case "duration": return goDuration(BigInt.asIntN(64, num(decodeMessageRaw(asBuffer(f)), 1)));
    case "quantity": return str(decodeMessageRaw(asBuffer(f)), 1) ?? "0";
    case "intstr": {
      const v = decodeMessageRaw(asBuffer(f));
      return num(v, 1) === 1n ? str(v, 3) ?? "" : toSigned(num(v, 2));
    }
    case "rawjson": {
      const raw = bytesOf(decodeMessageRaw(asBuffer(f)), 1);
      return raw.length ? parseJson(raw, `field ${f.no}`) : undefined;
    }
    case "rawext": {
      // RawExtension.Raw holds the object as its client serialized it: JSON, or protobuf in the k8s envelope.
      const raw = bytesOf(decodeMessageRaw(asBuffer(f)), 1);
      if (!raw.length) return undefined;
      if (raw.subarray(0, 4).equals(MAGIC)) return decodeEnvelope(raw, depth + 1).obj;
      return parseJson(raw, `field ${f.no}`);
    }
  }
  throw new Error(`unknown wire type ${type}`);
}

const isNumeric = (type: string) => type === "int" || type === "uint" || type === "bool";

/** One value of a type: a scalar, a message, or a list<T>. */
function decodeValue(type: string, f: WireField, depth: number): unknown {
  if (messages[type]) return decodeMessage(type, asBuffer(f), depth + 1);
  const list = /^list<(.+)>$/.exec(type);
  if (list) {
    const items: unknown[] = [];
    for (const item of readFields(asBuffer(f))) if (item.no === 1) items.push(...decodeRepeated(list[1]!, item, depth + 1));
    return items;
  }
  return scalar(type, f, depth);
}

/** The values one occurrence of a repeated field carries (several when varints come packed). */
function decodeRepeated(type: string, f: WireField, depth: number): unknown[] {
  if (isNumeric(type) && f.type === 2) {
    const out: unknown[] = [];
    const b = asBuffer(f);
    for (let pos = 0; pos < b.length;) {
      const [v, next] = readVarint(b, pos);
      pos = next;
      out.push(scalar(type, { no: f.no, type: 0, value: v }, depth));
    }
    return out;
  }
  return [decodeValue(type, f, depth)];
}

/** A map entry's value when the entry leaves it out: the type's zero value. */
function zeroOf(type: string): unknown {
  if (messages[type]) return customJson[type] ? customJson[type]!({}) : {};
  if (type.startsWith("list<")) return [];
  switch (type) {
    case "string": case "bytes": return "";
    case "int": case "uint": case "double": case "float": return 0;
    case "bool": return false;
    case "quantity": return "0";
  }
  return null;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

function decodeMessage(message: string, buf: Buffer, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error("exceeded max depth");
  const schema = schemaOf(message);
  const out: Obj = {};
  for (const f of readFields(buf)) {
    const ft = schema.get(f.no);
    if (!ft) continue; // unknown field numbers are skipped, as protobuf does
    const map = /^map<(\w+),(.+)>$/.exec(ft.type);
    if (map) {
      const entry = new Map<number, WireField>();
      for (const e of readFields(asBuffer(f))) entry.set(e.no, e);
      const k = entry.get(1), v = entry.get(2);
      const key = k ? String(scalar(map[1]!, k, depth)) : "";
      const target = (out[ft.name] ??= {}) as Obj;
      target[key] = v ? decodeValue(map[2]!, v, depth) ?? zeroOf(map[2]!) : zeroOf(map[2]!);
      continue;
    }
    if (ft.repeated) {
      ((out[ft.name] ??= []) as unknown[]).push(...decodeRepeated(ft.type, f, depth));
      continue;
    }
    const value = decodeValue(ft.type, f, depth);
    if (ft.inline) {
      if (value && typeof value === "object") Object.assign(out, value);
      continue;
    }
    // A message that is there is kept even when empty (emptyDir: {} means "set"; additionalProperties: false);
    // a scalar's zero value only where Go's JSON keeps it.
    if (value === undefined || (isEmpty(value) && !ft.keepZero && !messages[ft.type])) {
      delete out[ft.name];
      continue;
    }
    out[ft.name] = value;
  }
  for (const [k, v] of Object.entries(out)) {
    if (Array.isArray(v) && v.length === 0) delete out[k];
  }
  const custom = customJson[message];
  return custom ? custom(out) : out;
}

/** What the body's TypeMeta names, and the object. */
function decodeEnvelope(body: Buffer, depth: number): { apiVersion: string; kind: string; message?: string; obj: Obj } {
  const unknown = decodeMessageRaw(body.subarray(4));
  const typeMeta = decodeMessageRaw(bytesOf(unknown, 1));
  const apiVersion = str(typeMeta, 1) ?? "";
  const kind = str(typeMeta, 2) ?? "";
  const message = messageOf(apiVersion, kind);
  if (!message) return { apiVersion, kind, obj: {} };
  const obj = decodeMessage(message, bytesOf(unknown, 2), depth) as Obj;
  return { apiVersion, kind, message, obj: { apiVersion, kind, ...obj } };
}

/** The message of a kind; the option kinds of meta.k8s.io (DeleteOptions...) are registered in every group version. */
function messageOf(apiVersion: string, kind: string): string | undefined {
  const own = kinds[`${apiVersion} ${kind}`];
  if (own) return own;
  const meta = kinds[`meta.k8s.io/v1 ${kind}`];
  return meta && /Options$|^Status$|^WatchEvent$/.test(kind) ? meta : undefined;
}

/** What the request expects, for upstream's "cannot be handled as" message. */
export interface ExpectedKind { kind: string; apiVersion?: string }

/**
 * Decodes a `k8s\0`-enveloped protobuf object into its JSON form. A body that is
 * not one, or that names a kind no schema knows, is a 400 as upstream's decoder
 * reports it; so is a malformed message.
 */
export function decodeProtobufObject(body: Buffer, expected?: ExpectedKind): Obj {
  const handledAs = (reason: string, kind?: string, version?: string) => badRequest(expected
    ? kind ? `${kind} in version "${version}" cannot be handled as a ${expected.kind}: ${reason}`
      : `the object provided is unrecognized (must be of type ${expected.kind}): ${reason} (${body.subarray(0, 30).toString("hex")})`
    : reason);
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw handledAs("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
  }
  try {
    const { apiVersion, kind, message, obj } = decodeEnvelope(body, 0);
    if (!kind) throw handledAs("Object 'Kind' is missing in protobuf body");
    if (!message) {
      const version = apiVersion.split("/").pop() ?? "";
      throw handledAs(`no kind "${kind}" is registered for version "${apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`, kind, version);
    }
    if (valueTooDeep(obj)) throw badRequest("unable to decode protobuf body: exceeded max depth");
    return obj;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`unable to decode protobuf body: ${(err as Error).message}`);
  }
}
