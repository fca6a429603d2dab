/**
 * Cluster DNS (the part of CoreDNS's kubernetes plugin that pods rely on),
 * answered from informers: A and AAAA records for Services
 * (`web.default.svc.cluster.local`) by the family of their addresses (so an
 * IPv4-only Service answers AAAA with no records, not NXDOMAIN), one record
 * per ready endpoint for headless Services, endpoints by hostname
 * (`web-0.web.default.svc.cluster.local`), SRV for named ports, CNAME for
 * ExternalName, PTR for ClusterIPs and endpoints, pod records as CoreDNS's
 * `pods insecure` (`10-1-2-3.default.pod.cluster.local`), NXDOMAIN for names
 * that do not exist. Other names go to the host's resolvers.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import * as dnsPacket from "dns-packet";
import type { Namespace, Service } from "kubernetes-types/core/v1.js";
import type { Endpoint, EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { InformerFactory, Resources, type Client, type Informer, type Kube } from "../client/index.js";
import { Registry } from "../metrics/index.js";
import { DnsMetrics, rcodeName } from "./dns-metrics.js";

type Answer = dnsPacket.Answer;

const TTL = 5;

export interface ClusterDnsOptions {
  clusterDomain?: string;
  /** Resolvers for names outside the cluster domain (default: the host's /etc/resolv.conf). */
  upstream?: string[];
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Where CoreDNS's families go; the server's own registry when unset. */
  metricsRegistry?: Registry;
}

const SERVFAIL = 2;

export interface Lookup { rcode: "NOERROR" | "NXDOMAIN"; answers: Answer[] }

export class ClusterDns {
  readonly domain: string;
  private readonly informers: InformerFactory;
  private readonly services: Informer<Kube<Service>>;
  private readonly slices: Informer<Kube<EndpointSlice>>;
  private readonly namespaces: Informer<Kube<Namespace>>;
  private udp?: Socket;
  private tcp?: Server;
  private readonly upstream: string[];
  /** CoreDNS's families (served by the node, see src/agent). */
  readonly metrics: DnsMetrics;
  /** CoreDNS's server label, `dns://<address>:<port>`, once listening. */
  private server = "";

  constructor(client: Client, private readonly options: ClusterDnsOptions = {}) {
    this.domain = (options.clusterDomain ?? "cluster.local").toLowerCase();
    this.metrics = new DnsMetrics(options.metricsRegistry ?? new Registry());
    this.informers = new InformerFactory(client);
    this.services = this.informers.informer<Kube<Service>>(Resources.services);
    this.slices = this.informers.informer<Kube<EndpointSlice>>(Resources.endpointslices);
    this.namespaces = this.informers.informer<Kube<Namespace>>(Resources.namespaces);
    this.upstream = options.upstream ?? hostResolvers();
  }

  async start(signal: AbortSignal): Promise<void> {
    this.informers.start(signal);
    await this.informers.waitForCacheSync();
  }

  /** Serves DNS over UDP and TCP on address:port; returns the port. */
  async listen(address: string, port: number): Promise<number> {
    const udp = createSocket(address.includes(":") ? "udp6" : "udp4");
    udp.on("message", (msg, rinfo) => {
      void this.handle(msg, "udp", familyOf(rinfo.address)).then((reply) => { if (reply) udp.send(reply, rinfo.port, rinfo.address); });
    });
    await new Promise<void>((resolve, reject) => { udp.once("error", reject); udp.bind(port, address, () => resolve()); });
    this.udp = udp;
    const bound = udp.address().port;
    this.server = `dns://${address.includes(":") ? `[${address}]` : address}:${bound}`;
    this.tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const msg = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          void this.handle(msg, "tcp", familyOf(sock.remoteAddress ?? "")).then((reply) => {
            if (!reply) return;
            const framed = Buffer.alloc(2 + reply.length);
            framed.writeUInt16BE(reply.length, 0);
            reply.copy(framed, 2);
            sock.write(framed);
          });
        }
      });
      sock.on("error", () => sock.destroy());
    });
    await new Promise<void>((resolve, reject) => { this.tcp!.once("error", reject); this.tcp!.listen(bound, address, () => resolve()); });
    return bound;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  /**
   * The reply to one query: from the caches for cluster names, else from the
   * host's resolver (SERVFAIL when that fails, as CoreDNS's forward plugin);
   * reported as CoreDNS's metrics plugin reports it. A message that does not
   * decode, or asks nothing, gets no reply.
   */
  private async handle(msg: Buffer, proto: "udp" | "tcp", family: "1" | "2"): Promise<Buffer | undefined> {
    const started = performance.now();
    let query: dnsPacket.DecodedPacket;
    try { query = dnsPacket.decode(msg); } catch { return undefined; }
    const q = query.questions?.[0];
    if (!q) return undefined;
    const name = q.name.toLowerCase().replace(/\.$/, "");
    const recursion = query.flags! & dnsPacket.RECURSION_DESIRED;
    let reply: Buffer;
    let plugin: string;
    if (!this.isClusterName(name)) {
      const forwarded = await this.forward(msg);
      plugin = forwarded ? "forward" : "";
      reply = forwarded ?? dnsPacket.encode({ id: query.id, type: "response", flags: recursion | SERVFAIL, questions: [q] });
    } else {
      const { rcode, answers } = this.lookup(name, q.type);
      plugin = "kubernetes";
      reply = dnsPacket.encode({
        id: query.id, type: "response",
        flags: dnsPacket.AUTHORITATIVE_ANSWER | recursion | dnsPacket.RECURSION_AVAILABLE | (rcode === "NXDOMAIN" ? 3 : 0),
        questions: [q], answers,
      });
    }
    this.metrics.report({
      server: this.server, proto, family, qtype: q.type, rcode: rcodeName(reply[3]! & 0x0f), plugin,
      dnssecOk: (query.additionals ?? []).some((a) => a.type === "OPT" && ((a as dnsPacket.OptAnswer).flags & dnsPacket.DNSSEC_OK) !== 0),
      // CoreDNS counts what a plugin wrote: an error the server answers for weighs nothing.
      requestSize: msg.length, responseSize: plugin ? reply.length : 0, seconds: (performance.now() - started) / 1000,
    });
    return reply;
  }

  private isClusterName(name: string): boolean {
    return name === this.domain || name.endsWith(`.${this.domain}`) || name.endsWith(".in-addr.arpa") && this.reverse(name) !== undefined;
  }

  /** Answers for a name inside the cluster domain (or a reverse name of a cluster address). */
  lookup(name: string, type: string): Lookup {
    if (name.endsWith(".in-addr.arpa")) {
      const target = this.reverse(name);
      if (!target) return { rcode: "NXDOMAIN", answers: [] };
      return { rcode: "NOERROR", answers: type === "PTR" || type === "ANY" ? [{ name, type: "PTR", ttl: TTL, class: "IN", data: target }] : [] };
    }
    const labels = name.slice(0, -(this.domain.length + 1)).split(".");
    const zone = labels[labels.length - 1];
    if (name === this.domain || (zone !== "svc" && zone !== "pod")) return { rcode: name === this.domain ? "NOERROR" : "NXDOMAIN", answers: [] };
    const parts = labels.slice(0, -1); // without "svc" or "pod"
    if (parts.length === 0) return { rcode: "NOERROR", answers: [] };
    // A namespace with nothing asked of it exists or not (NODATA or NXDOMAIN), as CoreDNS's namespaceExposed.
    if (parts.length === 1) return { rcode: this.namespaces.get(parts[0]!) ? "NOERROR" : "NXDOMAIN", answers: [] };
    if (zone === "pod") return this.podRecord(name, type, parts);
    const ns = parts[parts.length - 1]!;
    const svcName = parts[parts.length - 2]!;
    const svc = this.services.get(`${ns}/${svcName}`);
    if (!svc) return { rcode: "NXDOMAIN", answers: [] };
    const rest = parts.slice(0, -2);
    const family = (ip: string) => (ip.includes(":") ? "AAAA" : "A");
    const addresses = (ips: string[]): Answer[] => ips.filter((ip) => type === "ANY" || type === family(ip))
      .map((ip) => ({ name, type: family(ip), ttl: TTL, class: "IN", data: ip }) as Answer);
    if (rest.length === 0) {
      if (svc.spec?.type === "ExternalName") {
        return { rcode: "NOERROR", answers: [{ name, type: "CNAME", ttl: TTL, class: "IN", data: String(svc.spec.externalName).replace(/\.$/, "") }] };
      }
      return { rcode: "NOERROR", answers: addresses(this.serviceAddresses(svc)) };
    }
    if (rest.length === 1 && !rest[0]!.startsWith("_")) {
      const ep = this.endpoints(svc).find((e) => e.hostname === rest[0] || e.addresses?.[0]?.replace(/\./g, "-") === rest[0]);
      if (!ep) return { rcode: "NXDOMAIN", answers: [] };
      return { rcode: "NOERROR", answers: addresses([ep.addresses[0]]) };
    }
    if (rest.length === 2 && rest[0]!.startsWith("_") && rest[1]!.startsWith("_")) {
      const portName = rest[0]!.slice(1);
      const proto = rest[1]!.slice(1).toUpperCase();
      const port = (svc.spec?.ports ?? []).find((p) => p.name === portName && (p.protocol ?? "TCP") === proto);
      if (!port) return { rcode: "NXDOMAIN", answers: [] };
      if (type !== "SRV" && type !== "ANY") return { rcode: "NOERROR", answers: [] };
      const base = `${svcName}.${ns}.svc.${this.domain}`;
      if (svc.spec?.clusterIP && svc.spec.clusterIP !== "None") {
        return { rcode: "NOERROR", answers: [{ name, type: "SRV", ttl: TTL, class: "IN", data: { priority: 0, weight: 100, port: port.port, target: base } }] };
      }
      const eps = this.endpoints(svc);
      return {
        rcode: "NOERROR",
        answers: eps.map((e) => ({ name, type: "SRV", ttl: TTL, class: "IN", data: { priority: 0, weight: Math.floor(100 / Math.max(1, eps.length)), port: port.port, target: `${e.hostname ?? e.addresses[0].replace(/\./g, "-")}.${base}` } }) as Answer),
      };
    }
    return { rcode: "NXDOMAIN", answers: [] };
  }

  /**
   * CoreDNS's `pods insecure`: `a-b-c-d.<namespace>.pod.<domain>` is the
   * address its first label spells (dashes for dots, or for colons when it is
   * not four dashed parts), whether or not a pod has it, in a namespace that exists.
   */
  private podRecord(name: string, type: string, parts: string[]): Lookup {
    if (parts.length !== 2 || !this.namespaces.get(parts[1]!)) return { rcode: "NXDOMAIN", answers: [] };
    const label = parts[0]!;
    const ip = label.split("-").length === 4 && !label.includes("--") ? label.replace(/-/g, ".") : label.replace(/-/g, ":");
    const family = isIP(ip);
    if (!family) return { rcode: "NXDOMAIN", answers: [] };
    const rtype = family === 4 ? "A" : "AAAA";
    return { rcode: "NOERROR", answers: type === rtype || type === "ANY" ? [{ name, type: rtype, ttl: TTL, class: "IN", data: ip }] : [] };
  }

  private serviceAddresses(svc: Kube<Service>): string[] {
    if (svc.spec?.clusterIP && svc.spec.clusterIP !== "None") return svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec.clusterIP];
    return this.endpoints(svc).map((e) => e.addresses[0]);
  }

  /** The ready endpoints of a Service (all of them when it publishes not-ready addresses). */
  private endpoints(svc: Kube<Service>): Endpoint[] {
    const all = this.slices.list(svc.metadata.namespace, `kubernetes.io/service-name=${svc.metadata.name}`).flatMap((s) => s.endpoints ?? []);
    return all.filter((e) => e.addresses?.length && (svc.spec?.publishNotReadyAddresses || e.conditions?.ready !== false));
  }

  private reverse(name: string): string | undefined {
    const ip = name.replace(/\.in-addr\.arpa$/, "").split(".").reverse().join(".");
    for (const svc of this.services.list()) {
      if (svc.spec?.clusterIP === ip) return `${svc.metadata.name}.${svc.metadata.namespace}.svc.${this.domain}`;
    }
    for (const slice of this.slices.list()) {
      for (const e of slice.endpoints ?? []) {
        if (e.addresses?.includes(ip)) {
          const svcName = slice.metadata.labels?.["kubernetes.io/service-name"];
          return `${e.hostname ?? ip.replace(/\./g, "-")}.${svcName}.${slice.metadata.namespace}.svc.${this.domain}`;
        }
      }
    }
    return undefined;
  }

  /** Relays a query for an outside name to the host's first resolver (as CoreDNS's forward plugin). */
  private forward(msg: Buffer): Promise<Buffer | undefined> {
    const server = this.upstream[0];
    if (!server) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const sock = createSocket(server.includes(":") ? "udp6" : "udp4");
      const done = (r?: Buffer) => { clearTimeout(timer); sock.close(); resolve(r); };
      const timer = setTimeout(() => done(undefined), 2000);
      sock.once("message", (reply) => done(reply));
      sock.once("error", () => done(undefined));
      sock.send(msg, 53, server);
    });
  }
}

/** CoreDNS's family label: "1" for an IPv4 client (an IPv4-mapped IPv6 address included), "2" for IPv6. */
function familyOf(address: string): "1" | "2" {
  return address.includes(":") && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? "2" : "1";
}

function hostResolvers(): string[] {
  try {
    return readFileSync("/etc/resolv.conf", "utf8").split("\n").map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => Boolean(s) && !s!.startsWith("127."));
  } catch {
    return [];
  }
}
