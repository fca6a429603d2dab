/**
 * The node's pod network: a Linux bridge with the first address of the node's
 * pod CIDR, and a CNI configuration (bridge + host-local + portmap from
 * Debian's containernetworking-plugins) that containerd applies to every
 * sandbox. No masquerade: pod addresses never leave the machine (DESIGN.md,
 * decision 5).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PodNetwork {
  bridge: string;
  podCIDR: string;
  gateway: string;
  /** The MTU of the bridge and the pods' veths (the pod network between nodes sets it; the plugin's default otherwise). */
  mtu?: number;
}

export function gatewayOf(podCIDR: string): string {
  const [addr] = podCIDR.split("/");
  const octets = addr!.split(".").map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join(".");
}

export function cniConflist(net: PodNetwork, ipamDataDir: string): string {
  return JSON.stringify({
    cniVersion: "0.4.0",
    name: "skiff",
    plugins: [
      {
        type: "bridge", bridge: net.bridge, isGateway: true, ipMasq: false, hairpinMode: true, ...(net.mtu ? { mtu: net.mtu } : {}),
        ipam: { type: "host-local", ranges: [[{ subnet: net.podCIDR, gateway: net.gateway }]], routes: [{ dst: "0.0.0.0/0" }], dataDir: ipamDataDir },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, err: (r.stderr || "").trim() };
}

/** Creates the bridge with the gateway address up front, so the node address exists before the first pod. */
export function ensureBridge(net: PodNetwork): void {
  if (!ip(["link", "show", net.bridge]).ok) {
    const made = ip(["link", "add", net.bridge, "type", "bridge"]);
    if (!made.ok && !/exists/.test(made.err)) throw new Error(`cannot create bridge ${net.bridge}: ${made.err}`);
  }
  const prefix = net.podCIDR.split("/")[1];
  const added = ip(["addr", "add", `${net.gateway}/${prefix}`, "dev", net.bridge]);
  if (!added.ok && !/exists|already assigned/i.test(added.err)) throw new Error(`cannot address bridge ${net.bridge}: ${added.err}`);
  ip(["link", "set", net.bridge, "up"]);
}

export function removeBridge(bridge: string): void {
  ip(["link", "del", bridge]);
}

export function writeCniConfig(confDir: string, ipamDataDir: string, net: PodNetwork): void {
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, "10-skiff.conflist"), cniConflist(net, ipamDataDir));
}

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

/**
 * The bridge plugin turns IPv4 forwarding on (pods need it); the value it had
 * before is kept in the data directory so that `skiff killall` restores it.
 */
export function rememberIpForward(stateFile: string): void {
  if (existsSync(stateFile)) return;
  try { writeFileSync(stateFile, readFileSync(IP_FORWARD, "utf8")); } catch { /* not readable: nothing to restore */ }
}

/**
 * Forwarding on from the pod network's start, as upstream requires of a node:
 * NodePorts and Services forward traffic that came in by the node's own
 * interfaces to pods on other nodes, before any pod here made the bridge
 * plugin turn it on.
 */
export function enableIpForward(): void {
  try { writeFileSync(IP_FORWARD, "1\n"); } catch { /* not writable (no root): pods' own traffic still goes */ }
}

export function restoreIpForward(stateFile: string): void {
  if (!existsSync(stateFile)) return;
  try { writeFileSync(IP_FORWARD, readFileSync(stateFile, "utf8")); } catch { /* not writable */ }
}
