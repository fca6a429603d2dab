/**
 * ClusterIP and NodePort allocation. The allocations are derived from the
 * Services in storage when the server starts, and kept in memory after that;
 * the store's create is the final arbiter, so a crash never leaks an address.
 */
export class RangeAllocator {
  private readonly used = new Set<number>();
  private next: number;

  constructor(readonly first: number, readonly last: number, readonly what: string) {
    this.next = first;
  }

  has(n: number): boolean { return this.used.has(n); }
  inRange(n: number): boolean { return n >= this.first && n <= this.last; }

  /** Takes a specific value; false when it is taken or out of range. */
  take(n: number): boolean {
    if (!this.inRange(n) || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  /** Takes the next free value, or undefined when the range is full. */
  allocate(): number | undefined {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.next - this.first + i) % size);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next = n + 1 > this.last ? this.first : n + 1;
        return n;
      }
    }
    return undefined;
  }

  release(n: number): void { this.used.delete(n); }
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
