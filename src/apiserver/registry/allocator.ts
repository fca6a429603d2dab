/**
 * One range of values (the ClusterIPs of the service CIDR, the NodePorts of
 * the node-port range) as upstream's allocation bitmap: bit i stands for the
 * range's first value + i. Pure and in memory; storage-allocator.ts keeps it
 * in the store, shared by every API server.
 *
 * Values handed out without being asked for come from above a low band
 * first (upstream's static subrange, KEP-3070/3668), so that the values
 * people pick by hand there (10.96.0.10 for DNS) are seldom taken already.
 */
export type AllocationFailure = "allocated" | "notInRange" | "full";

export class AllocationError extends Error {
  constructor(readonly reason: AllocationFailure, message: string) {
    super(message);
    this.name = "AllocationError";
  }
}

export interface RangeSpec {
  /** The first value of the range. */
  first: number;
  /** How many values it holds. */
  size: number;
  /** How upstream writes the range in a RangeAllocation: `10.96.0.0/16`, `30000-32767`. */
  range: string;
  /** Size of the low band that values handed out by allocateNext avoid while the rest has room. */
  staticBand: number;
}

export class RangeAllocator {
  /**
   * Kept in the stored order, big-endian: offset o is bit o&7 of byte
   * length-1-(o>>3), so that a snapshot is the bytes as they are.
   */
  private bits: Uint8Array;
  private used = 0;

  constructor(readonly spec: RangeSpec, private readonly random: () => number = Math.random) {
    this.bits = new Uint8Array(Math.ceil(spec.size / 8));
  }

  inRange(value: number): boolean {
    return Number.isInteger(value) && value >= this.spec.first && value < this.spec.first + this.spec.size;
  }

  has(value: number): boolean {
    return this.inRange(value) && this.test(value - this.spec.first);
  }

  /** How many values are taken. */
  count(): number { return this.used; }

  /** Takes value; throws AllocationError "notInRange" or "allocated". */
  allocate(value: number): void {
    if (!this.inRange(value)) throw new AllocationError("notInRange", `${value} is not in the range ${this.spec.range}`);
    if (!this.set(value - this.spec.first)) throw new AllocationError("allocated", `${value} is already allocated`);
  }

  /** Takes a free value, from a random place so that servers seldom race for the same one; throws "full". */
  allocateNext(): number {
    const { size, staticBand } = this.spec;
    const offset = this.scanFree(staticBand, size) ?? this.scanFree(0, staticBand);
    if (offset === undefined) throw new AllocationError("full", "range is full");
    this.set(offset);
    return this.spec.first + offset;
  }

  /** Gives value back; a value not taken (or out of range) is ignored. */
  release(value: number): void {
    if (!this.has(value)) return;
    const o = value - this.spec.first;
    this.bits[this.at(o)]! &= ~(1 << (o & 7));
    this.used--;
  }

  /** Every taken value, in order. */
  *values(): IterableIterator<number> {
    for (let group = 0; group < this.bits.length; group++) {
      const byte = this.bits[this.at(group * 8)]!;
      if (!byte) continue;
      for (let b = 0; b < 8; b++) if (byte & (1 << b)) yield this.spec.first + group * 8 + b;
    }
  }

  clone(): RangeAllocator {
    const c = new RangeAllocator(this.spec, this.random);
    c.bits = this.bits.slice();
    c.used = this.used;
    return c;
  }

  /**
   * The bitmap as upstream stores it in a RangeAllocation's data: the bytes
   * of a big integer whose bit i is offset i, most significant first,
   * without leading zero bytes; base64 as JSON writes bytes.
   */
  snapshot(): string {
    let start = 0;
    while (start < this.bits.length && this.bits[start] === 0) start++;
    return Buffer.from(this.bits.buffer, this.bits.byteOffset + start, this.bits.length - start).toString("base64");
  }

  /** Replaces the state with a snapshot's; offsets beyond the range are dropped. */
  restore(data: string): void {
    const bytes = Buffer.from(data, "base64");
    const kept = bytes.subarray(Math.max(0, bytes.length - this.bits.length));
    this.bits = new Uint8Array(this.bits.length);
    this.bits.set(kept, this.bits.length - kept.length);
    const spare = this.bits.length * 8 - this.spec.size;
    if (spare > 0) this.bits[0]! &= 0xff >> spare;
    this.used = 0;
    for (const byte of this.bits) this.used += popcount(byte);
  }

  private at(offset: number): number {
    return this.bits.length - 1 - (offset >> 3);
  }

  private test(offset: number): boolean {
    return (this.bits[this.at(offset)]! & (1 << (offset & 7))) !== 0;
  }

  /** Sets a bit; false when it was set already. */
  private set(offset: number): boolean {
    if (this.test(offset)) return false;
    this.bits[this.at(offset)]! |= 1 << (offset & 7);
    this.used++;
    return true;
  }

  /** A free offset in [from, to), scanning on from a random start and wrapping round. */
  private scanFree(from: number, to: number): number | undefined {
    const n = to - from;
    if (n <= 0) return undefined;
    const start = Math.floor(this.random() * n);
    for (let i = 0; i < n; i++) {
      const o = from + ((start + i) % n);
      // A full byte is skipped whole: a nearly full range is scanned in size/8 steps.
      if (this.bits[this.at(o)] === 0xff && (o & 7) === 0 && o + 8 <= to) { i += 7; continue; }
      if (!this.test(o)) return o;
    }
    return undefined;
  }
}

/** Set bits per byte value: a restore (after every lost swap) counts 8 KB of them. */
const BITS_SET = Uint8Array.from({ length: 256 }, (_, byte) => {
  let n = 0;
  for (let b = byte; b; b &= b - 1) n++;
  return n;
});

function popcount(byte: number): number {
  return BITS_SET[byte]!;
}

/** Upstream's static band: a sixteenth of a CIDR (at least 16, at most 256 addresses), none for a small one. */
export function serviceIPRange(cidr: string): RangeSpec {
  const { first, last } = cidrRange(cidr);
  const cidrSize = last - first + 3;
  const staticBand = cidrSize <= 16 ? 0 : Math.min(256, Math.max(16, Math.floor(cidrSize / 16)));
  return { first, size: last - first + 1, range: cidr, staticBand };
}

/** Upstream's static band for node ports: a 32nd of the range, at least 16 and at most 128 ports. */
export function nodePortRange(first: number, last: number): RangeSpec {
  const size = last - first + 1;
  const staticBand = size <= 16 ? 0 : Math.min(128, Math.max(16, Math.floor(size / 32)));
  return { first, size, range: `${first}-${last}`, staticBand };
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Parses `10.96.0.0/16` into the usable host range (network and broadcast excluded). */
export function cidrRange(cidr: string): { first: number; last: number } {
  const [ip, bits] = cidr.split("/");
  const base = ipToNumber(ip!);
  const size = 2 ** (32 - Number(bits));
  if (base === undefined || !Number.isInteger(size)) throw new Error(`invalid CIDR ${cidr}`);
  return { first: base + 1, last: base + size - 2 };
}
