/**
 * Kubernetes' CEL IP and CIDR libraries (library/ip.go, library/cidr.go):
 * ip("10.0.0.1"), isIP, family, the address classes, cidr("10.0.0.0/8"),
 * isCIDR, containsIP, containsCIDR, prefixLength, masked. Addresses are held
 * as their bits in a bigint, so IPv4 and IPv6 share the arithmetic.
 */
import { isIP } from "node:net";
import type { Environment } from "@marcbachmann/cel-js";

/** An address as a CEL value. */
export class IP {
  constructor(readonly family: 4 | 6, readonly bits: bigint, readonly text: string) {}
}

/** A prefix as a CEL value: the address as written and its length. */
export class CIDR {
  constructor(readonly ip: IP, readonly prefix: number) {}
  get width(): number { return this.ip.family === 4 ? 32 : 128; }
  mask(): bigint { return ((1n << BigInt(this.width)) - 1n) ^ ((1n << BigInt(this.width - this.prefix)) - 1n); }
}

/** Upstream accepts neither IPv4-mapped IPv6 nor zones (netip.ParseAddr's stricter reading). */
function parseIP(s: string): IP | undefined {
  const family = isIP(s);
  if (family === 4) {
    const parts = s.split(".");
    if (parts.some((p) => p.length > 1 && p.startsWith("0"))) return undefined;
    return new IP(4, parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n), s);
  }
  if (family !== 6 || s.includes("%") || s.includes(".")) return undefined;
  const [head, tail] = s.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return new IP(6, groups.reduce((a, g) => (a << 16n) | BigInt(`0x${g}`), 0n), s);
}

function parseCIDR(s: string): CIDR | undefined {
  const [addr, len, ...rest] = s.split("/");
  if (rest.length || addr === undefined || len === undefined || !/^\d{1,3}$/.test(len)) return undefined;
  const ip = parseIP(addr);
  const prefix = Number(len);
  if (!ip || prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  return new CIDR(ip, prefix);
}

function must<T>(v: T | undefined, what: string, s: string): T {
  if (v === undefined) throw new Error(`${what} parse error during conversion from string: ${s}`);
  return v;
}

function formatIP(family: 4 | 6, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((bits >> sh) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of zero groups (two or more) becomes "::", as netip prints.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

const contains = (c: CIDR, ip: IP) => c.ip.family === ip.family && (ip.bits & c.mask()) === (c.ip.bits & c.mask());

export function registerIP(env: Environment): void {
  env.registerType("net.IP", IP);
  env.registerType("net.CIDR", CIDR);
  env.registerOperator("net.IP == net.IP", (a: IP, b: IP) => a.family === b.family && a.bits === b.bits);
  env.registerOperator("net.CIDR == net.CIDR", (a: CIDR, b: CIDR) => a.prefix === b.prefix && a.ip.family === b.ip.family && a.ip.bits === b.ip.bits);
  env.registerFunction("ip(string): net.IP", (s: string) => must(parseIP(s), "IP Address", s));
  env.registerFunction("isIP(string): bool", (s: string) => parseIP(s) !== undefined);
  env.registerFunction("net.IP.family(): int", (ip: IP) => BigInt(ip.family));
  env.registerFunction("string(net.IP): string", (ip: IP) => formatIP(ip.family, ip.bits));
  env.registerFunction("net.IP.isUnspecified(): bool", (ip: IP) => ip.bits === 0n);
  env.registerFunction("net.IP.isLoopback(): bool", (ip: IP) => (ip.family === 4 ? ip.bits >> 24n === 127n : ip.bits === 1n));
  env.registerFunction("net.IP.isLinkLocalMulticast(): bool", (ip: IP) => (ip.family === 4 ? ip.bits >> 8n === 0xe00000n : ip.bits >> 112n === 0xff02n));
  env.registerFunction("net.IP.isLinkLocalUnicast(): bool", (ip: IP) => (ip.family === 4 ? ip.bits >> 16n === 0xa9fen : ip.bits >> 118n === 0x3fan));
  env.registerFunction("net.IP.isGlobalUnicast(): bool", (ip: IP) => {
    if (ip.bits === 0n) return false;
    if (ip.family === 4) return !(ip.bits >> 24n === 127n || ip.bits >> 16n === 0xa9fen || ip.bits >> 28n === 0xen || ip.bits === 0xffffffffn);
    return !(ip.bits === 1n || ip.bits >> 118n === 0x3fan || ip.bits >> 120n === 0xffn);
  });
  env.registerFunction("cidr(string): net.CIDR", (s: string) => must(parseCIDR(s), "network address", s));
  env.registerFunction("isCIDR(string): bool", (s: string) => parseCIDR(s) !== undefined);
  env.registerFunction("string(net.CIDR): string", (c: CIDR) => `${formatIP(c.ip.family, c.ip.bits)}/${c.prefix}`);
  env.registerFunction("net.CIDR.ip(): net.IP", (c: CIDR) => c.ip);
  env.registerFunction("net.CIDR.prefixLength(): int", (c: CIDR) => BigInt(c.prefix));
  env.registerFunction("net.CIDR.masked(): net.CIDR", (c: CIDR) => {
    const bits = c.ip.bits & c.mask();
    return new CIDR(new IP(c.ip.family, bits, formatIP(c.ip.family, bits)), c.prefix);
  });
  env.registerFunction("net.CIDR.containsIP(net.IP): bool", contains);
  env.registerFunction("net.CIDR.containsIP(string): bool", (c: CIDR, s: string) => contains(c, must(parseIP(s), "IP Address", s)));
  const containsCIDR = (c: CIDR, o: CIDR) => o.prefix >= c.prefix && contains(c, o.ip);
  env.registerFunction("net.CIDR.containsCIDR(net.CIDR): bool", containsCIDR);
  env.registerFunction("net.CIDR.containsCIDR(string): bool", (c: CIDR, s: string) => containsCIDR(c, must(parseCIDR(s), "network address", s)));
}
