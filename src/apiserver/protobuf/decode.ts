/**
 * Turns a protobuf request body (`k8s\0` + runtime.Unknown) into the JSON
 * object it encodes, with the wire schemas in schema.ts. Go writes zero values
 * of non-pointer fields; they are dropped here, as JSON's omitempty would.
 */
import { valueTooDeep } from "../json-depth.js";
import { ApiError, badRequest } from "../../api/errors.js";
import { messages } from "./schema.js";
import { readFields, type WireField } from "./wire.js";
import { rfc3339 } from "../../api/time.js";

type Obj = Record<string, unknown>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface FieldType { name: string; type: string; repeated: boolean; inline: boolean; keepZero: boolean }

const parsed = new Map<string, Map<number, FieldType>>();

function schemaOf(message: string): Map<number, FieldType> {
  let m = parsed.get(message);
  if (m) return m;
  const raw = messages[message];
  if (!raw) throw new Error(`no wire schema for ${message}`);
  m = new Map();
  for (const [no, spec] of Object.entries(raw)) {
    const inline = spec.startsWith("~");
    const [name, typeSpec] = inline ? ["", spec.slice(1)] : (spec.split(/:(.*)/s) as [string, string]);
    const repeated = typeSpec.startsWith("[]");
    const keepZero = typeSpec.endsWith("!");
    const type = typeSpec.replace(/^\[\]/, "").replace(/!$/, "");
    m.set(Number(no), { name, type, repeated, inline, keepZero });
  }
  parsed.set(message, m);
  return m;
}

function asBuffer(f: WireField): Buffer {
  if (!Buffer.isBuffer(f.value)) throw new Error(`field ${f.no}: expected a length-delimited value`);
  return f.value;
}

function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function scalar(type: string, f: WireField): unknown {
  switch (type) {
    case "string": return asBuffer(f).toString("utf8");
    case "bytes": return asBuffer(f).toString("base64");
    case "int": return typeof f.value === "bigint" ? toSigned(f.value) : 0;
    case "bool": return f.value === 1n;
    case "time": {
      const t = decodeMessageRaw(asBuffer(f));
      const seconds = Number(num(t, 1));
      if (!seconds) return undefined;
      return rfc3339(seconds * 1000);
    }
    case "quantity": return str(decodeMessageRaw(asBuffer(f)), 1);
    case "intstr": {
      const v = decodeMessageRaw(asBuffer(f));
      return num(v, 1) === 1n ? str(v, 3) ?? "" : toSigned(num(v, 2));
    }
  }
  return undefined;
}

/** Fields of a small message by number, for the wrappers above (last one wins, as in protobuf). */
function decodeMessageRaw(buf: Buffer): Map<number, Buffer | bigint> {
  const out = new Map<number, Buffer | bigint>();
  for (const f of readFields(buf)) out.set(f.no, f.value);
  return out;
}

const str = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return Buffer.isBuffer(v) ? v.toString("utf8") : undefined; };
const buf = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return Buffer.isBuffer(v) ? v : Buffer.alloc(0); };
const num = (m: Map<number, Buffer | bigint>, n: number) => { const v = m.get(n); return typeof v === "bigint" ? v : 0n; };

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v && typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function decodeMessage(message: string, buf: Buffer): Obj {
  const schema = schemaOf(message);
  const out: Obj = {};
  for (const f of readFields(buf)) {
    const ft = schema.get(f.no);
    if (!ft) continue; // unknown field numbers are skipped, as protobuf does
    let value: unknown;
    const map = /^map<(\w+),(\w+)>$/.exec(ft.type);
    if (map) {
      const entry = decodeMessageRaw(asBuffer(f));
      const key = str(entry, 1) ?? "";
      const raw = entry.get(2);
      const v = raw === undefined ? (map[2] === "string" || map[2] === "bytes" ? "" : undefined)
        : scalar(map[2]!, { no: 2, type: 2, value: raw });
      const target = (out[ft.name] ??= {}) as Obj;
      target[key] = v;
      continue;
    }
    if (messages[ft.type]) {
      const sub = decodeMessage(ft.type, asBuffer(f));
      if (ft.inline) { Object.assign(out, sub); continue; }
      value = sub;
    } else {
      value = scalar(ft.type, f);
    }
    if (ft.repeated) {
      ((out[ft.name] ??= []) as unknown[]).push(value);
      continue;
    }
    if (value === undefined || (isEmpty(value) && !(ft.keepZero && value === 0))) {
      // Empty messages still mean "set" for a few fields (emptyDir: {}); keep objects, drop scalars.
      if (value && typeof value === "object" && !Array.isArray(value)) out[ft.name] = value;
      continue;
    }
    out[ft.name] = value;
  }
  for (const [k, v] of Object.entries(out)) {
    if (Array.isArray(v) && v.length === 0) delete out[k];
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf object into its JSON form. */
export function decodeProtobufObject(body: Buffer): Obj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest("protobuf body does not start with the k8s\\0 envelope");
  try {
    const unknown = decodeMessageRaw(body.subarray(4));
    const typeMeta = decodeMessageRaw(buf(unknown, 1));
    const apiVersion = str(typeMeta, 1) ?? "";
    const kind = str(typeMeta, 2) ?? "";
    if (!messages[kind]) {
      throw new ApiError(415, "UnsupportedMediaType", `protobuf request bodies of kind ${JSON.stringify(kind)} are not supported; send application/json`);
    }
    const obj = decodeMessage(kind, buf(unknown, 2));
    if (valueTooDeep(obj)) throw badRequest("unable to decode protobuf body: exceeded max depth");
    return { apiVersion, kind, ...obj };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`unable to decode protobuf body: ${(err as Error).message}`);
  }
}
