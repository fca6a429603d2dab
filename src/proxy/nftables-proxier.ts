/**
 * The Service data path in the kernel, as kube-proxy's nftables mode builds
 * it, in one table of Skiff's own (`ip skiff-proxy`): each ClusterIP port
 * (and NodePort on the node's addresses) jumps to a chain that picks one
 * ready endpoint at random (or the client's previous one, with
 * sessionAffinity ClientIP) and DNATs to it. Traffic for the service range
 * that no rule claimed (an unallocated address, a Service without ready
 * endpoints) is rejected at once, and traffic for pod addresses that are not
 * on this node's bridge never leaves by the default route (DESIGN.md,
 * decision 5). Every change replaces the table in one atomic `nft -f`
 * transaction; connections already tracked keep their translation.
 */
import { spawnSync } from "node:child_process";
import { MASQ_MARK, Proxier, runWithInput, type ProxierOptions } from "./proxier.js";
import type { Endpoint } from "./service-ports.js";

export const TABLE = "skiff-proxy";

export interface NftablesProxierOptions extends ProxierOptions {
  /** The nftables table (default skiff-proxy). */
  table?: string;
}

export function nftAvailable(): boolean {
  return spawnSync("nft", ["--version"]).status === 0;
}

export class NftablesProxier extends Proxier<NftablesProxierOptions> {
  private lastRuleset = "";
  /** The last table applied, split into everything but the Service chains, and those chains by name. */
  private applied?: { head: string; chains: Map<string, string> };
  protected forget(): void {
    this.applied = undefined;
    this.lastRuleset = "";
  }

  /**
   * Applies the table. When only the insides of Service chains changed (an
   * endpoint came or went, the maps and sets being the same), just those
   * chains are flushed and refilled, in one transaction; anything else
   * replaces the whole table.
   */
  protected async apply(): Promise<boolean> {
    const ruleset = this.ruleset();
    if (ruleset === this.lastRuleset) return true;
    const table = this.options.table ?? TABLE;
    const next = splitServiceChains(ruleset);
    let script = ruleset;
    const prev = this.applied;
    if (prev && prev.head === next.head && prev.chains.size === next.chains.size && [...next.chains.keys()].every((k) => prev.chains.has(k))) {
      script = [...next.chains].filter(([name, body]) => prev.chains.get(name) !== body)
        .map(([name, body]) => `flush chain ip ${table} ${name}\ntable ip ${table} {\n  chain ${name} {\n${body}\n  }\n}\n`).join("");
    }
    const r = await runWithInput("nft", ["-f", "-"], script);
    if (r.status !== 0) {
      this.options.log?.("nft failed", { err: r.stderr.trim() });
      return false;
    }
    this.lastRuleset = ruleset;
    this.applied = next;
    return true;
  }

  /** The whole table, as text for `nft -f`. */
  ruleset(): string {
    const serviceCIDR = this.options.serviceCIDR ?? "10.96.0.0/16";
    const clusterCIDR = this.options.clusterCIDR ?? "10.244.0.0/16";
    const chains: string[] = [];
    const sets: string[] = [];
    const clusterIPs: string[] = [];
    const nodePorts: string[] = [];
    const loadBalancers: string[] = [];
    for (const sp of this.ports()) {
      const l4 = sp.protocol.toLowerCase();
      const { id } = sp;
      if (sp.internal.length) {
        clusterIPs.push(`${sp.clusterIP} . ${l4} . ${sp.port} : goto svc-${id}`);
        chains.push(this.serviceChain(`svc-${id}`, id, sp.internal, sp.affinitySeconds, sp.name, sets));
      }
      if ((sp.nodePort || sp.loadBalancerIPs.length) && sp.external.length) {
        if (sp.nodePort) nodePorts.push(`${l4} . ${sp.nodePort} : goto ext-${id}`);
        // ServiceLB: the Service's own port on the addresses its status names (this node's).
        for (const lb of sp.loadBalancerIPs) loadBalancers.push(`${lb} . ${l4} . ${sp.port} : goto ext-${id}`);
        const extId = `${id}x`;
        chains.push(`  chain ext-${id} {\n    ip saddr != ${clusterCIDR} meta mark set meta mark | ${MASQ_MARK}\n    goto svc-${extId}\n  }`);
        chains.push(this.serviceChain(`svc-${extId}`, extId, sp.external, sp.affinitySeconds, sp.name, sets));
      }
    }
    const vmap = (name: string, type: string, elements: string[]) => `  map ${name} {\n    type ${type} : verdict\n${elements.length ? `    elements = { ${elements.join(",\n      ")} }\n` : ""}  }`;
    const table = this.options.table ?? TABLE;
    const nodeIPs = this.options.nodeIPs.length ? `{ ${this.options.nodeIPs.join(", ")} }` : "";
    return [
      `table ip ${table}`,
      `delete table ip ${table}`,
      `table ip ${table} {`,
      vmap("cluster-ips", "ipv4_addr . inet_proto . inet_service", clusterIPs),
      vmap("node-ports", "inet_proto . inet_service", nodePorts),
      vmap("load-balancers", "ipv4_addr . inet_proto . inet_service", loadBalancers),
      ...sets,
      `  chain services {`,
      `    ip daddr . meta l4proto . th dport vmap @cluster-ips`,
      `    ip daddr . meta l4proto . th dport vmap @load-balancers`,
      ...(nodeIPs ? [`    ip daddr ${nodeIPs} meta l4proto . th dport vmap @node-ports`] : []),
      `  }`,
      `  chain nat-prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    jump services\n  }`,
      `  chain nat-output {\n    type nat hook output priority -100; policy accept;\n    jump services\n  }`,
      `  chain nat-postrouting {\n    type nat hook postrouting priority 100; policy accept;\n    meta mark & ${MASQ_MARK} == ${MASQ_MARK} masquerade\n  }`,
      // What is still addressed to the service range here found no Service with a ready endpoint.
      `  chain reject-strays {`,
      `    oifname "lo" return`,
      `    ip daddr ${serviceCIDR} meta l4proto tcp reject with tcp reset`,
      `    ip daddr ${serviceCIDR} reject with icmp type port-unreachable`,
      `    ip daddr ${clusterCIDR} oifname != "${this.options.bridge}" reject with icmp type net-unreachable`,
      `  }`,
      `  chain filter-forward {\n    type filter hook forward priority 0; policy accept;\n    jump reject-strays\n  }`,
      `  chain filter-output {\n    type filter hook output priority 0; policy accept;\n    jump reject-strays\n  }`,
      ...chains,
      `}`,
      "",
    ].join("\n");
  }

  /**
   * One chain per Service port. Without session affinity the endpoint is
   * picked and translated by one rule (a numgen-indexed map of address and
   * port), so the table holds a chain per Service rather than per endpoint:
   * nft's load time grows with the number of chains.
   */
  private serviceChain(name: string, id: string, endpoints: Endpoint[], affinity: number, comment: string, sets: string[]): string {
    const lines: string[] = [`  chain ${name} {`, `    # ${comment.replace(/[^\w./:-]/g, "")}`];
    // A pod reaching itself through its Service (hairpin) must not see its own address as the source.
    lines.push(`    ip saddr { ${[...new Set(endpoints.map((e) => e.ip))].join(", ")} } meta mark set meta mark | ${MASQ_MARK}`);
    if (this.masqueradeAll) lines.push(`    meta mark set meta mark | ${MASQ_MARK}`);
    if (!affinity) {
      const target = endpoints.length === 1
        ? `${endpoints[0]!.ip} . ${endpoints[0]!.port}`
        : `numgen random mod ${endpoints.length} map { ${endpoints.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(", ")} }`;
      lines.push(`    meta l4proto { tcp, udp } dnat ip addr . port to ${target}`, `  }`);
      return lines.join("\n");
    }
    // With ClientIP affinity a client returns to the endpoint it had, remembered in a timed set per endpoint.
    const epChain = (i: number) => `${name}-ep${i}`;
    const out: string[] = [];
    endpoints.forEach((ep, i) => {
      sets.push(`  set aff-${id}-${i} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${affinity}s\n  }`);
      lines.push(`    ip saddr @aff-${id}-${i} goto ${epChain(i)}`);
      out.push([`  chain ${epChain(i)} {`, `    update @aff-${id}-${i} { ip saddr }`, `    meta l4proto { tcp, udp } dnat to ${ep.ip}:${ep.port}`, `  }`].join("\n"));
    });
    lines.push(`    numgen random mod ${endpoints.length} vmap { ${endpoints.map((_, i) => `${i} : goto ${epChain(i)}`).join(", ")} }`, `  }`);
    return [lines.join("\n"), ...out].join("\n");
  }
}

const SERVICE_CHAIN = /^ {2}chain ((?:svc|ext)-[0-9a-fx]+(?:-ep\d+)?) \{\n([\s\S]*?)\n {2}\}\n?/gm;

/** The ruleset without its per-Service chains, and those chains' bodies by name. */
export function splitServiceChains(ruleset: string): { head: string; chains: Map<string, string> } {
  const chains = new Map<string, string>();
  const head = ruleset.replace(SERVICE_CHAIN, (_m, name: string, body: string) => { chains.set(name, body); return ""; });
  return { head, chains };
}

/** Removes the proxy's table (`skiff killall`, or a node leaving). */
export function cleanupProxyRules(table = TABLE): void {
  spawnSync("nft", ["delete", "table", "ip", table]);
}
