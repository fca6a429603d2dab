/**
 * CoreDNS's prometheus plugin families (plugin/metrics/vars, CoreDNS 1.11,
 * which Kubernetes 1.32 ships), with its names, labels, help texts and
 * buckets: requests by protocol, address family and query type, responses by
 * rcode and the plugin that wrote them, request duration and sizes. As with
 * CoreDNS's default Corefile (one `.:53` server block), every query falls in
 * zone "."; `view` is empty (no view plugin).
 */
import { Counter, Histogram, exponentialBuckets, type Registry } from "../metrics/index.js";

/** CoreDNS's plugin.TimeBuckets: 0.25 ms to 8 s. */
const TIME_BUCKETS = exponentialBuckets(0.00025, 2, 16);
const SIZE_BUCKETS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/** The query types CoreDNS names in its type label; any other is "other". */
const MONITORED_TYPES = new Set(["AAAA", "A", "CNAME", "DNSKEY", "DS", "MX", "NSEC3", "NSEC", "NS", "PTR", "RRSIG", "SOA", "SRV", "TXT", "HTTPS", "IXFR", "AXFR", "ANY"]);

/** miekg/dns's RcodeToString for the codes a 4-bit header field holds. */
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"];

export function rcodeName(code: number): string {
  return RCODES[code] ?? String(code);
}

/** One query answered, as CoreDNS's metrics plugin reports it (vars.Report). */
export interface DnsRequestReport {
  /** `dns://<listen address>:<port>`, CoreDNS's server label. */
  server: string;
  proto: "udp" | "tcp";
  /** "1" for an IPv4 client, "2" for IPv6. */
  family: "1" | "2";
  /** The question's type as dns-packet names it. */
  qtype: string;
  /** Whether the query's OPT record set the DO bit. */
  dnssecOk: boolean;
  rcode: string;
  /** The plugin that wrote the answer ("kubernetes", "forward"), or "" when the server wrote it. */
  plugin: string;
  requestSize: number;
  responseSize: number;
  seconds: number;
}

export class DnsMetrics {
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly requestSize: Histogram;
  private readonly doRequests: Counter;
  private readonly responseSize: Histogram;
  private readonly responses: Counter;

  constructor(readonly registry: Registry, private readonly zone = ".") {
    const registers = [registry];
    this.requests = new Counter({ name: "coredns_dns_requests_total", help: "Counter of DNS requests made per zone, protocol and family.", labelNames: ["server", "zone", "view", "proto", "family", "type"], registers });
    this.duration = new Histogram({ name: "coredns_dns_request_duration_seconds", help: "Histogram of the time (in seconds) each request took per zone.", labelNames: ["server", "zone", "view"], buckets: TIME_BUCKETS, registers });
    this.requestSize = new Histogram({ name: "coredns_dns_request_size_bytes", help: "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.", labelNames: ["server", "zone", "view", "proto"], buckets: SIZE_BUCKETS, registers });
    this.doRequests = new Counter({ name: "coredns_dns_do_requests_total", help: "Counter of DNS requests with DO bit set per zone.", labelNames: ["server", "zone", "view"], registers });
    this.responseSize = new Histogram({ name: "coredns_dns_response_size_bytes", help: "Size of the returned response in bytes.", labelNames: ["server", "zone", "view", "proto"], buckets: SIZE_BUCKETS, registers });
    this.responses = new Counter({ name: "coredns_dns_responses_total", help: "Counter of response status codes.", labelNames: ["server", "zone", "view", "rcode", "plugin"], registers });
  }

  report(r: DnsRequestReport): void {
    const base = { server: r.server, zone: this.zone, view: "" };
    // dns-packet names types it does not know UNKNOWN_<n>; HTTPS (65) is one CoreDNS counts.
    const qtype = r.qtype === "UNKNOWN_65" ? "HTTPS" : r.qtype;
    if (r.dnssecOk) this.doRequests.inc(base);
    this.requests.inc({ ...base, proto: r.proto, family: r.family, type: MONITORED_TYPES.has(qtype) ? qtype : "other" });
    this.duration.observe(base, r.seconds);
    this.responseSize.observe({ ...base, proto: r.proto }, r.responseSize);
    this.requestSize.observe({ ...base, proto: r.proto }, r.requestSize);
    this.responses.inc({ ...base, rcode: r.rcode, plugin: r.plugin });
  }
}
