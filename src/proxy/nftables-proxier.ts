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
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { InformerFactory, Resources, type Client, type Informer, type KubeObject } from "../client/index.js";

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

interface Endpoint { ip: string; port: number; nodeName?: string }

const chainId = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

export function nftAvailable(): boolean {
  return spawnSync("nft", ["--version"]).status === 0;
}

export class NftablesProxier {
  private readonly informers: InformerFactory;
  private readonly services: Informer<Obj>;
  private readonly slices: Informer<Obj>;
  private timer?: NodeJS.Timeout;
  private lastRuleset = "";
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
    this.sync();
    signal.addEventListener("abort", () => clearTimeout(this.timer), { once: true });
  }

  /** Changes arriving together are applied together (a rollout touches many slices at once). */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.sync(); }, 20);
  }

  sync(): void {
    const ruleset = this.ruleset();
    if (ruleset === this.lastRuleset) return;
    const r = spawnSync("nft", ["-f", "-"], { input: ruleset, encoding: "utf8" });
    if (r.status !== 0) {
      this.options.log?.("nft failed", { err: r.stderr.trim() });
      clearTimeout(this.timer);
      this.timer = setTimeout(() => { this.timer = undefined; this.sync(); }, 1000);
      return;
    }
    this.lastRuleset = ruleset;
    this.syncs++;
  }

  private endpointsOf(svc: Obj, portName: string | undefined, protocol: string, local: boolean): Endpoint[] {
    const out: Endpoint[] = [];
    for (const slice of this.slices.list(svc.metadata.namespace, `kubernetes.io/service-name=${svc.metadata.name}`)) {
      const port = (slice.ports ?? []).find((p: Json) => (p.name ?? "") === (portName ?? "") && (p.protocol ?? "TCP") === protocol);
      if (!port?.port) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false || !e.addresses?.length) continue;
        if (local && e.nodeName !== this.options.nodeName) continue;
        out.push({ ip: e.addresses[0], port: port.port, nodeName: e.nodeName });
      }
    }
    return out.sort((a, b) => (a.ip + a.port).localeCompare(b.ip + b.port));
  }

  /** The whole table, as text for `nft -f`. */
  ruleset(): string {
    const serviceCIDR = this.options.serviceCIDR ?? "10.96.0.0/16";
    const clusterCIDR = this.options.clusterCIDR ?? "10.244.0.0/16";
    const chains: string[] = [];
    const sets: string[] = [];
    const clusterIPs: string[] = [];
    const nodePorts: string[] = [];
    for (const svc of this.services.list()) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === "None" || svc.spec.type === "ExternalName") continue;
      for (const sp of svc.spec.ports ?? []) {
        const proto = (sp.protocol ?? "TCP") as string;
        if (proto === "SCTP") continue;
        const l4 = proto.toLowerCase();
        const id = chainId(`${svc.metadata.namespace}/${svc.metadata.name}/${sp.name ?? ""}/${proto}`);
        const internal = this.endpointsOf(svc, sp.name, proto, svc.spec.internalTrafficPolicy === "Local");
        const external = this.endpointsOf(svc, sp.name, proto, svc.spec.externalTrafficPolicy === "Local");
        const affinity = svc.spec.sessionAffinity === "ClientIP" ? svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 : 0;
        const comment = `${svc.metadata.namespace}/${svc.metadata.name}:${sp.name ?? sp.port}`;
        if (internal.length) {
          clusterIPs.push(`${ip} . ${l4} . ${sp.port} : goto svc-${id}`);
          chains.push(this.serviceChain(`svc-${id}`, id, internal, affinity, comment, sets));
        }
        if (sp.nodePort && (svc.spec.type === "NodePort" || svc.spec.type === "LoadBalancer") && external.length) {
          nodePorts.push(`${l4} . ${sp.nodePort} : goto ext-${id}`);
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
      ...sets,
      `  chain services {`,
      `    ip daddr . meta l4proto . th dport vmap @cluster-ips`,
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

  private serviceChain(name: string, id: string, endpoints: Endpoint[], affinity: number, comment: string, sets: string[]): string {
    const lines: string[] = [`  chain ${name} {`, `    # ${comment.replace(/[^\w./:-]/g, "")}`];
    const epChain = (i: number) => `${name}-ep${i}`;
    const out: string[] = [];
    endpoints.forEach((ep, i) => {
      const body = [`  chain ${epChain(i)} {`];
      // A pod reaching itself through its Service (hairpin) must not see its own address as the source.
      body.push(`    ip saddr ${ep.ip} meta mark set meta mark | ${MASQ_MARK}`);
      if (this.masqueradeAll) body.push(`    meta mark set meta mark | ${MASQ_MARK}`);
      if (affinity) {
        sets.push(`  set aff-${id}-${i} {\n    type ipv4_addr\n    flags dynamic,timeout\n    timeout ${affinity}s\n  }`);
        body.push(`    update @aff-${id}-${i} { ip saddr }`);
        lines.push(`    ip saddr @aff-${id}-${i} goto ${epChain(i)}`);
      }
      body.push(`    meta l4proto { tcp, udp } dnat to ${ep.ip}:${ep.port}`);
      body.push(`  }`);
      out.push(body.join("\n"));
    });
    if (endpoints.length === 1) lines.push(`    goto ${epChain(0)}`);
    else lines.push(`    numgen random mod ${endpoints.length} vmap { ${endpoints.map((_, i) => `${i} : goto ${epChain(i)}`).join(", ")} }`);
    lines.push(`  }`);
    return [lines.join("\n"), ...out].join("\n");
  }
}

/** Removes the proxy's table (`skiff killall`, or a node leaving). */
export function cleanupProxyRules(table = TABLE): void {
  spawnSync("nft", ["delete", "table", "ip", table]);
}
