/** A tiny protobuf writer for tests: messages built field by field, and the `k8s\0` + runtime.Unknown envelope. */
export const varint = (n: number | bigint): Buffer => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return Buffer.from(out);
};
export const bytesField = (no: number, value: Buffer | string): Buffer => {
  const b = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
export const intField = (no: number, value: number): Buffer => Buffer.concat([varint(no << 3), varint(value)]);
export const doubleField = (no: number, value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([varint((no << 3) | 1), b]);
};
export const msg = (...fields: Buffer[]): Buffer => Buffer.concat(fields);
/** A map entry: key 1, value 2. */
export const entry = (no: number, key: string, value: Buffer | string): Buffer => bytesField(no, msg(bytesField(1, key), bytesField(2, value)));
export const quantity = (s: string): Buffer => msg(bytesField(1, s));
export const intstrInt = (n: number): Buffer => msg(intField(1, 0), intField(2, n));
export const intstrString = (s: string): Buffer => msg(intField(1, 1), bytesField(3, s));
export const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), msg(bytesField(1, msg(bytesField(1, apiVersion), bytesField(2, kind))), bytesField(2, raw), bytesField(3, ""), bytesField(4, ""))]);
