/**
 * Pod addresses out of one node's pod CIDR, each held by one pod until it is
 * released (the job CNI's host-local IPAM does for real pods). The network
 * address, the first address (the node's own, the bridge gateway on real
 * nodes) and the broadcast address are never handed out. Addresses are handed
 * out round the range from the last one given, so a released address is not
 * reused at once.
 */
export class PodIPAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly byPod = new Map<string, number>();
  /** offset -> the pod holding it */
  private readonly holders = new Map<number, string>();
  private next = 0;

  /** cidr: an IPv4 CIDR of /30 or wider, e.g. 10.244.1.0/24. */
  constructor(readonly cidr: string) {
    const [addr, bits] = cidr.split("/");
    const prefix = Number(bits);
    const octets = (addr ?? "").split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !Number.isInteger(prefix) || prefix < 0 || prefix > 30) {
      throw new Error(`pod CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR of /30 or wider`);
    }
    this.size = 2 ** (32 - prefix);
    this.base = Math.floor(toNumber(octets) / this.size) * this.size;
  }

  /** The node's own address in the range (the first one). */
  get gateway(): string {
    return toAddress(this.base + 1);
  }

  /** The pod's address: the one it holds, or a free one; undefined when the range is full. */
  allocate(pod: string): string | undefined {
    const held = this.byPod.get(pod);
    if (held !== undefined) return toAddress(this.base + held);
    // Offsets 2 .. size-2: past the network address and the node's, short of broadcast.
    const first = 2;
    const count = this.size - 3;
    for (let i = 0; i < count; i++) {
      const offset = first + ((this.next + i) % count);
      if (this.holders.has(offset)) continue;
      this.holders.set(offset, pod);
      this.byPod.set(pod, offset);
      this.next = (offset - first + 1) % count;
      return toAddress(this.base + offset);
    }
    return undefined;
  }

  /**
   * Records an address a pod already holds (rebuilding after a restart).
   * Returns false, and records nothing, when it lies outside the range or
   * another pod holds it.
   */
  reserve(pod: string, ip: string): boolean {
    const octets = ip.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return false;
    const offset = toNumber(octets) - this.base;
    if (offset < 2 || offset > this.size - 2) return false;
    const holder = this.holders.get(offset);
    if (holder !== undefined) return holder === pod;
    this.release(pod);
    this.holders.set(offset, pod);
    this.byPod.set(pod, offset);
    return true;
  }

  /** Frees the pod's address, if it holds one. */
  release(pod: string): void {
    const offset = this.byPod.get(pod);
    if (offset === undefined) return;
    this.byPod.delete(pod);
    this.holders.delete(offset);
  }

  /** How many addresses are held. */
  get allocated(): number {
    return this.byPod.size;
  }
}

const toNumber = (o: number[]) => ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
const toAddress = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
