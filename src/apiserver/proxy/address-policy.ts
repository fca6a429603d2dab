/**
 * Which addresses the API server's proxy may dial, as upstream's: a pod's
 * address must be global unicast (netutils' IsGlobalUnicast), a node's must
 * be proxyable (proxyutil.IsProxyableIP: not loopback nor link-local). A
 * node or pod status is written by a node, so without these a node could
 * point the API server at its own loopback or at the cloud's metadata address.
 */
import { BlockList, isIP } from "node:net";

export const ADDRESS_NOT_ALLOWED = "address not allowed";

function list(subnets: [string, number, "ipv4" | "ipv6"][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix, family] of subnets) b.addSubnet(net, prefix, family);
  return b;
}

const LOOPBACK = list([["127.0.0.0", 8, "ipv4"], ["::1", 128, "ipv6"]]);
const LINK_LOCAL_UNICAST = list([["169.254.0.0", 16, "ipv4"], ["fe80::", 10, "ipv6"]]);
const LINK_LOCAL_MULTICAST = list([["224.0.0.0", 24, "ipv4"], ["ff02::", 16, "ipv6"]]);
const INTERFACE_LOCAL_MULTICAST = list([["ff01::", 16, "ipv6"]]);
const MULTICAST = list([["224.0.0.0", 4, "ipv4"], ["ff00::", 8, "ipv6"]]);
const UNSPECIFIED_OR_BROADCAST = list([["0.0.0.0", 32, "ipv4"], ["255.255.255.255", 32, "ipv4"], ["::", 128, "ipv6"]]);

/** The address as BlockList checks it: an IPv4-mapped IPv6 address counts as its IPv4 address, as in Go. */
function parse(ip: string | undefined): { ip: string; family: "ipv4" | "ipv6" } | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped ? mapped[1]! : ip;
  const v = isIP(addr);
  return v === 4 ? { ip: addr, family: "ipv4" } : v === 6 ? { ip: addr, family: "ipv6" } : undefined;
}

export function isLoopback(ip: string | undefined): boolean {
  const a = parse(ip);
  return Boolean(a && LOOPBACK.check(a.ip, a.family));
}

/** Go's net.IP.IsGlobalUnicast: any unicast address but loopback, link-local, unspecified and broadcast. */
export function isGlobalUnicast(ip: string | undefined): boolean {
  const a = parse(ip);
  if (!a) return false;
  return ![LOOPBACK, LINK_LOCAL_UNICAST, MULTICAST, UNSPECIFIED_OR_BROADCAST].some((b) => b.check(a.ip, a.family));
}

/** proxyutil.IsProxyableIP: anything but loopback, link-local unicast and link- or interface-local multicast. */
export function isProxyableIP(ip: string | undefined): boolean {
  const a = parse(ip);
  if (!a) return false;
  return ![LOOPBACK, LINK_LOCAL_UNICAST, LINK_LOCAL_MULTICAST, INTERFACE_LOCAL_MULTICAST].some((b) => b.check(a.ip, a.family));
}
