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
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { InformerFactory, Resources, type Client, type Informer, type KubeObject } from "../client/index.js";
import { readyEndpoints, slicesByService, type Endpoint } from "./service-endpoints.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API objects as JSON
type Obj = KubeObject & Json;

export const TABLE = "skiff-proxy";
const MASQ_MARK = "0x4000";

export interface ProxierOptions {
  nodeName: string;
  nodeIPs: string[];
  /** The bridge that carries this node's pods. */
  bridge: string;
  serviceCIDR?: string;
  clusterCIDR?: string;
  /** The nftables table (default skiff-proxy). */
  table?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}


const chainId = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

export function nftAvailable(): boolean {
  return spawnSync("nft", ["--version"]).status === 0;
}

export class NftablesProxier {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Obj>;
  private readonly slices: Informer<Obj>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastRuleset = "";
  /** The last table applied, split into everything but the Service chains, and those chains by name. */
  private applied?: { head: string; chains: Map<string, string> };
  /** Bridged traffic goes through netfilter only with br_netfilter; without it every service connection is masqueraded. */
  private readonly masqueradeAll: boolean;
  syncs = 0;

  constructor(client: Client, private readonly options: ProxierOptions) {
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Obj>(Resources.services);
    this.slices = this.informers.informer<Obj>(Resources.endpointslices);
    const brnf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    this.masqueradeAll = !(existsSync(brnf) && readFileSync(brnf, "utf8").trim() === "1");
    const changed = () => this.schedule();
    for (const inf of [this.services, this.slices]) inf.addEventHandler({ add: changed, update: changed, delete: changed });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
    await this.sync();
    signal.addEventListener("abort", () => clearTimeout(this.timer), { once: true });
  }

  /** Changes arriving together are applied together (a rollout touches many slices at once). */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, 5);
  }

  /**
   * Applies the table. When only the insides of Service chains changed (an
   * endpoint came or went, the maps and sets being the same), just those
   * chains are flushed and refilled, in one transaction; anything else
   * replaces the whole table. nft runs as a child process, not blocking the
   * event loop (which, in `skiff server`, the API server shares); changes
   * arriving meanwhile are applied by the next round.
   */
  async sync(): Promise<void> {
    // One nft at a time: a round waits for the one in flight, then applies what is current.
    while (this.running) await this.running;
    this.running = this.apply().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async apply(): Promise<void> {
    const ruleset = this.ruleset();
    if (ruleset === this.lastRuleset) return;
    const table = this.options.table ?? TABLE;
    const next = splitServiceChains(ruleset);
    let script = ruleset;
    const prev = this.applied;
    if (prev && prev.head === next.head && prev.chains.size === next.chains.size && [...next.chains.keys()].every((k) => prev.chains.has(k))) {
      script = [...next.chains].filter(([name, body]) => prev.chains.get(name) !== body)
        .map(([name, body]) => `flush chain ip ${table} ${name}\ntable ip ${table} {\n  chain ${name} {\n${body}\n  }\n}\n`).join("");
    }
    const r = await runNft(script);
    if (r.status !== 0) {
      this.options.log?.("nft failed", { err: r.stderr.trim() });
      // The next attempt starts from nothing known: a whole table.
      this.applied = undefined;
      this.lastRuleset = "";
      clearTimeout(this.timer);
      this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, 1000);
      return;
    }
    this.lastRuleset = ruleset;
    this.applied = next;
    this.syncs++;
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
    // One pass over the slices, grouped by Service, instead of a selector match per Service.
    const slicesOf = slicesByService(this.slices.list());
    for (const svc of this.services.list()) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === "None" || svc.spec.type === "ExternalName") continue;
      for (const sp of svc.spec.ports ?? []) {
        const proto = (sp.protocol ?? "TCP") as string;
        if (proto === "SCTP") continue;
        const l4 = proto.toLowerCase();
        const id = chainId(`${svc.metadata.namespace}/${svc.metadata.name}/${sp.name ?? ""}/${proto}`);
        const own = slicesOf.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [];
        const node = this.options.nodeName;
        const internal = readyEndpoints(own, sp.name, proto, svc.spec.internalTrafficPolicy === "Local" ? node : undefined);
        const external = readyEndpoints(own, sp.name, proto, svc.spec.externalTrafficPolicy === "Local" ? node : undefined);
        const affinity = svc.spec.sessionAffinity === "ClientIP" ? svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : 0;
        const comment = `${svc.metadata.namespace}/${svc.metadata.name}:${sp.name ?? sp.port}`;
        if (internal.length) {
          clusterIPs.push(`${ip} . ${l4} . ${sp.port} : goto svc-${id}`);
          chains.push(this.serviceChain(`svc-${id}`, id, internal, affinity, comment, sets));
        }
        const isLB = svc.spec.type === "LoadBalancer" && !svc.spec.loadBalancerClass;
        const lbIPs: string[] = isLB ? (svc.status?.loadBalancer?.ingress ?? []).map((i: Json) => i.ip).filter(Boolean) : [];
        if (((sp.nodePort && (svc.spec.type === "NodePort" || svc.spec.type === "LoadBalancer")) || lbIPs.length) && external.length) {
          if (sp.nodePort) nodePorts.push(`${l4} . ${sp.nodePort} : goto ext-${id}`);
          // ServiceLB: the Service's own port on the addresses its status names (this node's).
          for (const lb of new Set(lbIPs)) loadBalancers.push(`${lb} . ${l4} . ${sp.port} : goto ext-${id}`);
          const extId = `${id}x`;
          chains.push(`  chain ext-${id} {\n    ip saddr != ${clusterCIDR} meta mark set meta mark | ${MASQ_MARK}\n    goto svc-${extId}\n  }`);
          chains.push(this.serviceChain(`svc-${extId}`, extId, external, affinity, comment, sets));
        }
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

/** Runs `nft -f -` with the script on its standard input. */
function runNft(script: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("nft", ["-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.once("error", (err) => resolve({ status: null, stderr: err.message }));
    child.once("close", (status) => resolve({ status, stderr }));
    child.stdin.end(script);
  });
}

/** Removes the proxy's table (`skiff killall`, or a node leaving). */
export function cleanupProxyRules(table = TABLE): void {
  spawnSync("nft", ["delete", "table", "ip", table]);
}
