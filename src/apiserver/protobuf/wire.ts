/** A minimal protobuf wire-format reader: fields as (number, wire type, value). */
export interface WireField { no: number; type: number; value: bigint | Buffer }

export function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error("truncated varint");
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error("varint too long");
  }
}

export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const type = Number(tag & 7n);
    switch (type) {
      case 0: { const [v, p] = readVarint(buf, pos); pos = p; out.push({ no, type, value: v }); break; }
      case 1: out.push({ no, type, value: buf.subarray(pos, pos + 8) }); pos += 8; break;
      case 2: {
        const [len, p] = readVarint(buf, pos);
        const end = p + Number(len);
        if (end > buf.length) throw new Error("truncated length-delimited field");
        out.push({ no, type, value: buf.subarray(p, end) });
        pos = end;
        break;
      }
      case 5: out.push({ no, type, value: buf.subarray(pos, pos + 4) }); pos += 4; break;
      default: throw new Error(`unsupported wire type ${type}`);
    }
  }
  return out;
}
