/**
 * The Service data path for machines without nftables, as kube-proxy's
 * iptables mode builds it, in chains of Skiff's own (SKIFF-*) in the nat and
 * filter tables: a ClusterIP port jumps to a chain per Service port that
 * picks an endpoint with `statistic` rules of falling probability (or, with
 * ClientIP affinity, the one `recent` remembers for the client) and DNATs to
 * it; NodePorts on the node's addresses, load balancer addresses, hairpin
 * masquerade, and as the nftables proxier the service range rejected and pod
 * addresses kept to this node's bridge. Each sync is one
 * `iptables-restore --noflush` transaction that rewrites only SKIFF chains.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { MASQ_MARK, Proxier, runWithInput } from "./proxier.js";
import type { Endpoint } from "./service-ports.js";
import type { ProxyMode } from "./proxy-metrics.js";

const SERVICES = "SKIFF-SERVICES";
const NODEPORTS = "SKIFF-NODEPORTS";
const POSTROUTING = "SKIFF-POSTROUTING";
const MARK_MASQ = "SKIFF-MARK-MASQ";
const REJECT = "SKIFF-REJECT";
const POD_GUARD = "SKIFF-POD-GUARD";

/** The jumps from the built-in chains into ours, as [table, chain, target]. */
const HOOKS: [string, string, string][] = [
  ["nat", "PREROUTING", SERVICES],
  ["nat", "OUTPUT", SERVICES],
  ["nat", "POSTROUTING", POSTROUTING],
  ["filter", "FORWARD", REJECT],
  ["filter", "OUTPUT", REJECT],
  ["mangle", "POSTROUTING", POD_GUARD],
];

export function iptablesAvailable(): boolean {
  return spawnSync("iptables-restore", ["--version"]).status === 0;
}

const short = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16).toUpperCase();

export class IptablesProxier extends Proxier {
  private lastRules = "";
  /** The per-Service chains that exist now, so the next round can delete the ones it no longer writes. */
  private chains?: Set<string>;
  private hooked = false;

  /** Every round rewrites all SKIFF chains: there are no partial rounds to tell apart. */
  protected proxyMode(): ProxyMode {
    return "iptables";
  }

  protected forget(): void {
    this.lastRules = "";
    this.chains = undefined;
    this.hooked = false;
  }

  protected async apply(): Promise<boolean> {
    if (!this.hooked) {
      this.chains ??= existingChains();
      const err = ensureHooks();
      if (err) { this.options.log?.("iptables failed", { err }); return false; }
      this.hooked = true;
    }
    const { text, chains } = this.rules(this.chains!);
    if (text === this.lastRules) return true;
    const r = await runWithInput("iptables-restore", ["--noflush", "-w", "5"], text);
    if (r.status !== 0) {
      this.options.log?.("iptables-restore failed", { err: r.stderr.trim() });
      return false;
    }
    this.lastRules = text;
    this.chains = chains;
    return true;
  }

  /** The iptables-restore input for what the caches hold; chains in `existing` that are no longer wanted are deleted. */
  rules(existing: Set<string> = new Set()): { text: string; chains: Set<string> } {
    const serviceCIDR = this.options.serviceCIDR ?? "10.96.0.0/16";
    const clusterCIDR = this.options.clusterCIDR ?? "10.244.0.0/16";
    const declared: string[] = [];
    const rules: string[] = [];
    const chains = new Set<string>();
    const chain = (name: string) => { chains.add(name); declared.push(`:${name} - [0:0]`); };
    for (const sp of this.ports()) {
      const l4 = sp.protocol.toLowerCase();
      const match = `-p ${l4} -m ${l4} --dport`;
      const comment = `-m comment --comment "${sp.name.replace(/[^\w./:-]/g, "")}"`;
      if (sp.internal.length) {
        const svc = `SKIFF-SVC-${sp.id.toUpperCase()}`;
        rules.push(`-A ${SERVICES} -d ${sp.clusterIP}/32 ${match} ${sp.port} ${comment} -j ${svc}`);
        this.serviceChain(svc, sp.internal, sp.affinitySeconds, l4, chain, rules);
      }
      if ((sp.nodePort || sp.loadBalancerIPs.length) && sp.external.length) {
        const ext = `SKIFF-EXT-${sp.id.toUpperCase()}`;
        const extSvc = `SKIFF-SVX-${sp.id.toUpperCase()}`;
        chain(ext);
        if (sp.nodePort) rules.push(`-A ${NODEPORTS} ${match} ${sp.nodePort} ${comment} -j ${ext}`);
        for (const lb of sp.loadBalancerIPs) rules.push(`-A ${SERVICES} -d ${lb}/32 ${match} ${sp.port} ${comment} -j ${ext}`);
        rules.push(`-A ${ext} ! -s ${clusterCIDR} -j ${MARK_MASQ}`, `-A ${ext} -j ${extSvc}`);
        this.serviceChain(extSvc, sp.external, sp.affinitySeconds, l4, chain, rules);
      }
    }
    for (const ip of this.options.nodeIPs) rules.push(`-A ${SERVICES} -d ${ip}/32 -j ${NODEPORTS}`);
    const stale = [...existing].filter((c) => !chains.has(c));
    const text = [
      "*nat",
      ...[SERVICES, NODEPORTS, POSTROUTING, MARK_MASQ].map((c) => `:${c} - [0:0]`),
      ...declared,
      // A chain is emptied, then deleted once nothing jumps to it any more.
      ...stale.map((c) => `:${c} - [0:0]`),
      ...stale.map((c) => `-X ${c}`),
      `-A ${MARK_MASQ} -j MARK --or-mark ${MASQ_MARK}`,
      `-A ${POSTROUTING} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
      `-A ${POSTROUTING} -j MARK --xor-mark ${MASQ_MARK}`,
      `-A ${POSTROUTING} -j MASQUERADE`,
      ...rules,
      "COMMIT",
      "*filter",
      `:${REJECT} - [0:0]`,
      `-A ${REJECT} -o lo -j RETURN`,
      `-A ${REJECT} -d ${serviceCIDR} -p tcp -j REJECT --reject-with tcp-reset`,
      `-A ${REJECT} -d ${serviceCIDR} -j REJECT --reject-with icmp-port-unreachable`,
      "COMMIT",
      // Pod addresses leave by the node's bridge or not at all; checked after routing, when a Service's DNAT has re-routed.
      "*mangle",
      `:${POD_GUARD} - [0:0]`,
      `-A ${POD_GUARD} -o lo -j RETURN`,
      ...(this.options.podInterfaces ?? []).map((i) => `-A ${POD_GUARD} -o ${i} -j RETURN`),
      `-A ${POD_GUARD} -d ${clusterCIDR} ! -o ${this.options.bridge} -j DROP`,
      "COMMIT",
      "",
    ].join("\n");
    return { text, chains };
  }

  /**
   * A chain per Service port that picks endpoint i of n with probability
   * 1/(n-i) after the earlier ones passed (so each gets 1/n), and a chain
   * per endpoint that masquerades hairpin traffic and DNATs.
   */
  private serviceChain(name: string, endpoints: Endpoint[], affinity: number, l4: string, chain: (n: string) => void, rules: string[]): void {
    chain(name);
    if (this.masqueradeAll) rules.push(`-A ${name} -j ${MARK_MASQ}`);
    const sep = endpoints.map((e) => `SKIFF-SEP-${short(`${name}/${e.ip}:${e.port}`)}`);
    if (affinity) {
      sep.forEach((s) => rules.push(`-A ${name} -m recent --name ${s} --rcheck --seconds ${affinity} --reap -j ${s}`));
    }
    endpoints.forEach((_, i) => {
      const n = endpoints.length - i;
      rules.push(n > 1
        ? `-A ${name} -m statistic --mode random --probability ${(1 / n).toFixed(10)} -j ${sep[i]}`
        : `-A ${name} -j ${sep[i]}`);
    });
    endpoints.forEach((e, i) => {
      const s = sep[i]!;
      chain(s);
      rules.push(`-A ${s} -s ${e.ip}/32 -j ${MARK_MASQ}`);
      if (affinity) rules.push(`-A ${s} -p ${l4} -m recent --name ${s} --set`);
      rules.push(`-A ${s} -p ${l4} -j DNAT --to-destination ${e.ip}:${e.port}`);
    });
  }
}

/** The per-Service chains left by an earlier run (a restarted proxy converges from them). */
function existingChains(): Set<string> {
  const r = spawnSync("iptables-save", ["-t", "nat"], { encoding: "utf8" });
  const out = new Set<string>();
  for (const m of (r.stdout ?? "").matchAll(/^:(SKIFF-(?:SVC|SVX|EXT|SEP)-[0-9A-F]+) /gm)) out.add(m[1]!);
  return out;
}

/** Creates our top chains and the jumps into them, each once; returns an error message on failure. */
function ensureHooks(): string | undefined {
  for (const [table, , target] of HOOKS) spawnSync("iptables", ["-w", "5", "-t", table, "-N", target]);
  for (const [table, hook, target] of HOOKS) {
    if (spawnSync("iptables", ["-w", "5", "-t", table, "-C", hook, "-j", target]).status === 0) continue;
    const r = spawnSync("iptables", ["-w", "5", "-t", table, "-I", hook, "1", "-j", target], { encoding: "utf8" });
    if (r.status !== 0) return r.stderr.trim() || `iptables -t ${table} -I ${hook} failed`;
  }
  return undefined;
}

/** Removes the jumps and every SKIFF chain (`skiff killall`, or a node leaving). */
export function cleanupIptablesRules(): void {
  if (!iptablesAvailable()) return;
  for (const [table, hook, target] of HOOKS) {
    while (spawnSync("iptables", ["-w", "5", "-t", table, "-D", hook, "-j", target]).status === 0) { /* every copy */ }
  }
  for (const table of ["nat", "filter", "mangle"]) {
    const saved = spawnSync("iptables-save", ["-t", table], { encoding: "utf8" }).stdout ?? "";
    const ours = [...saved.matchAll(/^:(SKIFF-[A-Z0-9-]+) /gm)].map((m) => m[1]!);
    if (!ours.length) continue;
    const text = [`*${table}`, ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), "COMMIT", ""].join("\n");
    spawnSync("iptables-restore", ["--noflush", "-w", "5"], { input: text });
  }
  // iptables-nft made the tables for our jumps; left empty and accepting, they are removed too.
  for (const table of ["nat", "filter", "mangle"]) {
    const listed = spawnSync("nft", ["list", "table", "ip", table], { encoding: "utf8" });
    if (listed.status !== 0) continue;
    const lines = listed.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
    const onlyEmptyChains = lines.every((l) => /^(table ip \w+ \{|chain \w+ \{|\}|type \w+ hook \w+ priority [\w-]+; policy accept;)$/.test(l));
    if (onlyEmptyChains) spawnSync("nft", ["delete", "table", "ip", table]);
  }
}
