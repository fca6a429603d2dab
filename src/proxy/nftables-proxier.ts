/**
 * The Service data path in the kernel, as kube-proxy's nftables mode builds
 * it, in one table of Skiff's own (`ip skiff-proxy`): each ClusterIP port
 * (and NodePort on the node's addresses) jumps to a chain that picks one
 * ready endpoint at random (or the client's previous one, with
 * sessionAffinity ClientIP) and DNATs to it. Traffic for the service range
 * that no rule claimed (an unallocated address, a Service without ready
 * endpoints) is rejected at once, and traffic for pod addresses that would
 * leave by another interface than this node's bridge is dropped (DESIGN.md,
 * decision 5). Only the Services that changed are rebuilt; an endpoint
 * change refills just their chains, other changes replace the table, each in
 * one atomic `nft -f` transaction; connections already tracked keep their
 * translation.
 */
import { spawnSync } from "node:child_process";
import type { Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Kube } from "../client/index.js";
import { MASQ_MARK, Proxier, runWithInput, type ProxierOptions } from "./proxier.js";
import type { ProxyMode } from "./proxy-metrics.js";
import { NftSession } from "./nft-session.js";
import { servicePortsOf, slicesByService, type Endpoint } from "./service-ports.js";

export const TABLE = "skiff-proxy";

export interface NftablesProxierOptions extends ProxierOptions {
  /** The nftables table (default skiff-proxy). */
  table?: string;
}

export function nftAvailable(): boolean {
  return spawnSync("nft", ["--version"]).status === 0;
}

/** One Service's part of the table: its map elements, sets and chains (name to body). */
interface Fragment {
  clusterIPs: string[];
  nodePorts: string[];
  loadBalancers: string[];
  sets: string[];
  chains: Map<string, string>;
  /** Its endpoints' addresses, for the hairpin set. */
  endpointIPs: string[];
}

/** What the kernel holds: the fragments by Service (`namespace/name`) and the hairpin set's addresses. */
interface Applied { fragments: Map<string, Fragment>; hairpin: Set<string> }

export class NftablesProxier extends Proxier<NftablesProxierOptions> {
  /** What the kernel holds; undefined when unknown. */
  private applied?: Applied;
  private lastTable = "";
  private readonly session = new NftSession();

  override async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener("abort", () => this.session.close(), { once: true });
    await super.start(signal);
  }

  protected proxyMode(): ProxyMode {
    return "nftables";
  }

  /** A round that only refills chains is upstream's partial sync; one that writes the table is a full one. */
  protected override partialSyncs(): boolean {
    return true;
  }

  protected forget(): void {
    this.applied = undefined;
    this.lastTable = "";
  }

  protected async apply(changed: Set<string> | "all"): Promise<boolean> {
    const { script, line, applied, full } = this.plan(changed);
    this.lastSyncFull = full;
    if (line) {
      const r = await this.session.run(line);
      if (!r.ok) {
        this.options.log?.("nft failed", { err: r.error });
        return false;
      }
    } else if (script) {
      const r = await runWithInput("nft", ["-f", "-"], script);
      if (r.status !== 0) {
        this.options.log?.("nft failed", { err: r.stderr.trim() });
        return false;
      }
    }
    this.applied = applied;
    return true;
  }

  /**
   * The nft script for what changed, and the fragments in place after it.
   * Only the changed Services are rebuilt. When their map elements, sets and
   * chain names stay as they were (an endpoint came or went), just their
   * chains are flushed and refilled, and the hairpin set's elements added
   * and deleted, in one transaction; anything else replaces the whole table.
   * An empty script means nothing to do; a partial update also comes as one
   * line, for the long-lived nft session.
   */
  plan(changed: Set<string> | "all"): { script: string; line?: string; applied: Applied; full: boolean } {
    const prev = this.applied?.fragments;
    if (changed === "all" || !prev) {
      const fragments = this.allFragments();
      const table = this.assemble(fragments.values());
      const script = table === this.lastTable && prev ? "" : table;
      this.lastTable = table;
      return { script, applied: { fragments, hairpin: hairpinOf(fragments.values()) }, full: true };
    }
    const fragments = new Map(prev);
    const refills: [string, string][] = [];
    let reshaped = false;
    for (const key of changed) {
      const svc = this.services.get(key);
      const next = svc && this.fragment(svc, this.slicesOf(svc));
      const old = prev.get(key);
      if (next) fragments.set(key, next);
      else fragments.delete(key);
      if (!sameShape(old, next)) reshaped = true;
      else for (const [name, body] of next?.chains ?? []) if (old!.chains.get(name) !== body) refills.push([name, body]);
    }
    const hairpin = hairpinOf(fragments.values());
    if (reshaped) {
      this.lastTable = this.assemble(fragments.values());
      return { script: this.lastTable, applied: { fragments, hairpin }, full: true };
    }
    // The whole table as last written is no longer known; the next full round rewrites it.
    this.lastTable = "";
    const table = this.options.table ?? TABLE;
    const had = this.applied!.hairpin;
    const added = [...hairpin].filter((ip) => !had.has(ip));
    const removed = [...had].filter((ip) => !hairpin.has(ip));
    const pairs = (ips: string[]) => ips.map((ip) => `${ip} . ${ip}`).join(", ");
    const commands = [
      ...(added.length ? [`add element ip ${table} hairpin { ${pairs(added)} }`] : []),
      ...refills.flatMap(([name, body]) => [`flush chain ip ${table} ${name}`, `table ip ${table} { chain ${name} { ${ruleLines(body).join("; ")}; }; }`]),
      ...(removed.length ? [`delete element ip ${table} hairpin { ${pairs(removed)} }`] : []),
    ];
    return { script: commands.map((c) => c + "\n").join(""), line: commands.join("; ") || undefined, applied: { fragments, hairpin }, full: false };
  }

  private slicesOf(svc: Kube<Service>): Kube<EndpointSlice>[] {
    return this.slices.list(svc.metadata.namespace).filter((sl) => sl.metadata.labels?.["kubernetes.io/service-name"] === svc.metadata.name);
  }

  /** Every Service's fragment, the slices grouped in one pass rather than looked up per Service. */
  private allFragments(): Map<string, Fragment> {
    const slicesOf = slicesByService(this.slices.list());
    const fragments = new Map<string, Fragment>();
    for (const svc of this.services.list()) {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
      fragments.set(key, this.fragment(svc, slicesOf.get(key) ?? []));
    }
    return fragments;
  }

  /** The whole table, as text for `nft -f`. */
  ruleset(): string {
    return this.assemble(this.allFragments().values());
  }

  private fragment(svc: Kube<Service>, slices: Kube<EndpointSlice>[]): Fragment {
    const clusterCIDR = this.options.clusterCIDR ?? "10.244.0.0/16";
    const f: Fragment = { clusterIPs: [], nodePorts: [], loadBalancers: [], sets: [], chains: new Map(), endpointIPs: [] };
    for (const sp of servicePortsOf(svc, slices, this.options.nodeName)) {
      const l4 = sp.protocol.toLowerCase();
      const { id } = sp;
      if (sp.internal.length) {
        f.clusterIPs.push(`${sp.clusterIP} . ${l4} . ${sp.port} : goto svc-${id}`);
        this.serviceChain(f, `svc-${id}`, id, sp.internal, sp.affinitySeconds, sp.name);
      }
      if ((sp.nodePort || sp.loadBalancerIPs.length) && sp.external.length) {
        if (sp.nodePort) f.nodePorts.push(`${l4} . ${sp.nodePort} : goto ext-${id}`);
        // ServiceLB: the Service's own port on the addresses its status names (this node's).
        for (const lb of sp.loadBalancerIPs) f.loadBalancers.push(`${lb} . ${l4} . ${sp.port} : goto ext-${id}`);
        const extId = `${id}x`;
        f.chains.set(`ext-${id}`, `    ip saddr != ${clusterCIDR} meta mark set meta mark | ${MASQ_MARK}\n    goto svc-${extId}`);
        this.serviceChain(f, `svc-${extId}`, extId, sp.external, sp.affinitySeconds, sp.name);
      }
    }
    return f;
  }

  private assemble(fragments: Iterable<Fragment>): string {
    const serviceCIDR = this.options.serviceCIDR ?? "10.96.0.0/16";
    const clusterCIDR = this.options.clusterCIDR ?? "10.244.0.0/16";
    const all = [...fragments];
    const vmap = (name: string, type: string, elements: string[]) => `  map ${name} {\n    type ${type} : verdict\n${elements.length ? `    elements = { ${elements.join(",\n      ")} }\n` : ""}  }`;
    const table = this.options.table ?? TABLE;
    const nodeIPs = this.options.nodeIPs.length ? `{ ${this.options.nodeIPs.join(", ")} }` : "";
    return [
      `table ip ${table}`,
      `delete table ip ${table}`,
      `table ip ${table} {`,
      vmap("cluster-ips", "ipv4_addr . inet_proto . inet_service", all.flatMap((f) => f.clusterIPs)),
      vmap("node-ports", "inet_proto . inet_service", all.flatMap((f) => f.nodePorts)),
      vmap("load-balancers", "ipv4_addr . inet_proto . inet_service", all.flatMap((f) => f.loadBalancers)),
      ...all.flatMap((f) => f.sets),
      // A pod reaching itself through its Service (hairpin) must not see its own address as the source:
      // one set of (address . address) pairs, looked up for translated connections only in nat-postrouting.
      `  set hairpin {\n    type ipv4_addr . ipv4_addr\n${hairpinElements(hairpinOf(all))}  }`,
      `  chain services {`,
      `    ip daddr . meta l4proto . th dport vmap @cluster-ips`,
      `    ip daddr . meta l4proto . th dport vmap @load-balancers`,
      ...(nodeIPs ? [`    ip daddr ${nodeIPs} meta l4proto . th dport vmap @node-ports`] : []),
      `  }`,
      `  chain nat-prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    jump services\n  }`,
      `  chain nat-output {\n    type nat hook output priority -100; policy accept;\n    jump services\n  }`,
      `  chain nat-postrouting {\n    type nat hook postrouting priority 100; policy accept;\n    ct status dnat ip saddr . ip daddr @hairpin masquerade\n    meta mark & ${MASQ_MARK} == ${MASQ_MARK} masquerade\n  }`,
      // What is still addressed to the service range here found no Service with a ready endpoint.
      `  chain reject-strays {`,
      `    oifname "lo" return`,
      `    ip daddr ${serviceCIDR} meta l4proto tcp reject with tcp reset`,
      `    ip daddr ${serviceCIDR} reject with icmp type port-unreachable`,
      `  }`,
      `  chain filter-forward {\n    type filter hook forward priority 0; policy accept;\n    jump reject-strays\n  }`,
      `  chain filter-output {\n    type filter hook output priority 0; policy accept;\n    jump reject-strays\n  }`,
      // Pod addresses leave by the node's bridge or not at all. Checked after routing: in the output hook the
      // interface is still the one chosen before a Service's DNAT re-routed the packet.
      `  chain filter-postrouting {\n    type filter hook postrouting priority 0; policy accept;\n    ip daddr ${clusterCIDR} oifname != { ${["lo", this.options.bridge, ...(this.options.podInterfaces ?? [])].map((i) => `"${i}"`).join(", ")} } drop\n  }`,
      ...all.flatMap((f) => [...f.chains].map(([name, body]) => `  chain ${name} {\n${body}\n  }`)),
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
  private serviceChain(f: Fragment, name: string, id: string, endpoints: Endpoint[], affinity: number, comment: string): void {
    const lines: string[] = [`    # ${comment.replace(/[^\w./:-]/g, "")}`];
    for (const e of endpoints) f.endpointIPs.push(e.ip);
    if (this.masqueradeAll) lines.push(`    meta mark set meta mark | ${MASQ_MARK}`);
    if (!affinity) {
      const target = endpoints.length === 1
        ? `${endpoints[0]!.ip} . ${endpoints[0]!.port}`
        : `numgen random mod ${endpoints.length} map { ${endpoints.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(", ")} }`;
      lines.push(`    meta l4proto { tcp, udp } dnat ip addr . port to ${target}`);
      f.chains.set(name, lines.join("\n"));
      return;
    }
    // With ClientIP affinity a client returns to the endpoint it had, remembered in a timed set per endpoint.
    const epChain = (i: number) => `${name}-ep${i}`;
    endpoints.forEach((ep, i) => {
      f.sets.push(`  set aff-${id}-${i} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${affinity}s\n  }`);
      lines.push(`    ip saddr @aff-${id}-${i} goto ${epChain(i)}`);
      f.chains.set(epChain(i), [`    update @aff-${id}-${i} { ip saddr }`, `    meta l4proto { tcp, udp } dnat to ${ep.ip}:${ep.port}`].join("\n"));
    });
    lines.push(`    numgen random mod ${endpoints.length} vmap { ${endpoints.map((_, i) => `${i} : goto ${epChain(i)}`).join(", ")} }`);
    f.chains.set(name, lines.join("\n"));
  }
}

/** A chain body's rules, without its comments (a comment would end a one-line transaction). */
function ruleLines(body: string): string[] {
  return body.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

/** Every endpoint address once: the hairpin set holds each as a (source . destination) pair. */
function hairpinOf(fragments: Iterable<Fragment>): Set<string> {
  const out = new Set<string>();
  for (const f of fragments) for (const ip of f.endpointIPs) out.add(ip);
  return out;
}

function hairpinElements(ips: Set<string>): string {
  return ips.size ? `    elements = { ${[...ips].map((ip) => `${ip} . ${ip}`).join(",\n      ")} }\n` : "";
}

/** Whether two fragments need the same maps, sets and chains (their chains' contents aside). */
function sameShape(a: Fragment | undefined, b: Fragment | undefined): boolean {
  if (!a || !b) return a === b;
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.clusterIPs, b.clusterIPs) && same(a.nodePorts, b.nodePorts) && same(a.loadBalancers, b.loadBalancers) && same(a.sets, b.sets)
    && same([...a.chains.keys()], [...b.chains.keys()]);
}

/** Removes the proxy's table (`skiff killall`, or a node leaving). */
export function cleanupProxyRules(table = TABLE): void {
  spawnSync("nft", ["delete", "table", "ip", table]);
}
