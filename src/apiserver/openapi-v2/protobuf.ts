/**
 * The v2 document in gnostic's protobuf form (openapi.v2.Document), which
 * kubectl and client-go's discovery ask for first
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): kubectl
 * explain, its client-side validation and its dry-run check read it. Field
 * numbers are those of gnostic's OpenAPIv2.proto; values that proto has no
 * field for (the x-kubernetes-* extensions, defaults, enums) travel as YAML in
 * its `Any` messages, as gnostic encodes them.
 */
import { stringify as toYaml } from "yaml";
import type { SchemaNode } from "./schemas.js";
import type { PathItem } from "./paths.js";

export interface V2Document {
  swagger: string;
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  definitions: Record<string, SchemaNode>;
}

/** A protobuf message under construction: fields appended in order. */
class Message {
  private readonly parts: Buffer[] = [];

  private key(no: number, wire: number): void { this.parts.push(varint((no << 3) | wire)); }

  string(no: number, s: unknown): this {
    if (typeof s === "string" && s !== "") { this.key(no, 2); const b = Buffer.from(s, "utf8"); this.parts.push(varint(b.length), b); }
    return this;
  }

  strings(no: number, list: unknown): this {
    if (Array.isArray(list)) for (const s of list) this.string(no, String(s));
    return this;
  }

  bool(no: number, b: unknown): this {
    if (b === true) { this.key(no, 0); this.parts.push(varint(1)); }
    return this;
  }

  int64(no: number, n: unknown): this {
    if (typeof n === "number" && Number.isInteger(n) && n > 0) { this.key(no, 0); this.parts.push(varint(n)); }
    return this;
  }

  double(no: number, n: unknown): this {
    if (typeof n === "number" && n !== 0) { this.key(no, 1); const b = Buffer.alloc(8); b.writeDoubleLE(n); this.parts.push(b); }
    return this;
  }

  message(no: number, m: Message | undefined): this {
    if (m) { this.key(no, 2); const b = m.bytes(); this.parts.push(varint(b.length), b); }
    return this;
  }

  bytes(): Buffer { return Buffer.concat(this.parts); }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
  out.push(v);
  return Buffer.from(out);
}

const isNode = (v: unknown): v is SchemaNode => typeof v === "object" && v !== null && !Array.isArray(v);

/** gnostic's Any: the value as YAML. */
const anyOf = (value: unknown) => new Message().string(2, toYaml(value));

/** The x-* keys of a node as NamedAny messages. */
function vendorExtensions(m: Message, no: number, node: SchemaNode): void {
  for (const [k, v] of Object.entries(node)) if (k.startsWith("x-")) m.message(no, new Message().string(1, k).message(2, anyOf(v)));
}

function schema(node: SchemaNode): Message {
  const m = new Message()
    .string(1, node.$ref).string(2, node.format).string(3, node.title).string(4, node.description);
  if (node.default !== undefined) m.message(5, anyOf(node.default));
  m.double(6, node.multipleOf).double(7, node.maximum).bool(8, node.exclusiveMaximum).double(9, node.minimum).bool(10, node.exclusiveMinimum)
    .int64(11, node.maxLength).int64(12, node.minLength).string(13, node.pattern).int64(14, node.maxItems).int64(15, node.minItems)
    .bool(16, node.uniqueItems).int64(17, node.maxProperties).int64(18, node.minProperties).strings(19, node.required);
  if (Array.isArray(node.enum)) for (const e of node.enum) m.message(20, anyOf(e));
  const extra = node.additionalProperties;
  if (isNode(extra)) m.message(21, new Message().message(1, schema(extra)));
  else if (typeof extra === "boolean") m.message(21, new Message().bool(2, extra));
  if (node.type !== undefined) m.message(22, new Message().strings(1, Array.isArray(node.type) ? node.type : [node.type]));
  if (isNode(node.items)) m.message(23, new Message().message(1, schema(node.items)));
  if (Array.isArray(node.allOf)) for (const s of node.allOf) if (isNode(s)) m.message(24, schema(s));
  if (isNode(node.properties)) {
    const props = new Message();
    for (const [name, s] of Object.entries(node.properties)) if (isNode(s)) props.message(1, new Message().string(1, name).message(2, schema(s)));
    m.message(25, props);
  }
  m.string(26, node.discriminator).bool(27, node.readOnly);
  if (node.example !== undefined) m.message(30, anyOf(node.example));
  vendorExtensions(m, 31, node);
  return m;
}

/** A parameter: a body with its schema, or a query or path parameter. */
function parameter(p: SchemaNode): Message {
  if (p.in === "body") {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (isNode(p.schema)) body.message(5, schema(p.schema));
    return new Message().message(1, new Message().message(1, body));
  }
  // Query and path sub-schemas differ in field numbers from `type` on (query has allow_empty_value at 5).
  const sub = p.in === "path"
    ? new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(5, p.type).bool(19, p.uniqueItems)
    : new Message().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(6, p.type).bool(20, p.uniqueItems);
  const nonBody = new Message().message(p.in === "path" ? 4 : 3, sub);
  return new Message().message(1, new Message().message(2, nonBody));
}

function operation(op: SchemaNode): Message {
  const m = new Message().strings(1, op.tags).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isNode(p)) m.message(8, parameter(p));
  if (isNode(op.responses)) {
    const responses = new Message();
    for (const [code, r] of Object.entries(op.responses)) {
      if (!isNode(r)) continue;
      const response = new Message().string(1, r.description);
      if (isNode(r.schema)) response.message(2, new Message().message(1, schema(r.schema)));
      responses.message(1, new Message().string(1, code).message(2, new Message().message(1, response)));
    }
    m.message(9, responses);
  }
  m.strings(10, op.schemes);
  vendorExtensions(m, 13, op);
  return m;
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: PathItem): Message {
  const m = new Message();
  for (const [method, no] of Object.entries(METHOD_FIELDS)) {
    const op = item[method];
    if (isNode(op)) m.message(no, operation(op));
  }
  const params = item.parameters;
  if (Array.isArray(params)) for (const p of params) m.message(9, parameter(p));
  return m;
}

export function encodeDocument(doc: V2Document): Buffer {
  const paths = new Message();
  for (const [name, item] of Object.entries(doc.paths)) paths.message(2, new Message().string(1, name).message(2, pathItem(item)));
  const definitions = new Message();
  for (const [name, s] of Object.entries(doc.definitions)) definitions.message(1, new Message().string(1, name).message(2, schema(s)));
  return new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, doc.info.title).string(2, doc.info.version))
    .message(8, paths)
    .message(9, definitions)
    .bytes();
}
