import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { after, before, it } from "node:test";
import * as dnsPacket from "dns-packet";
import { renderMetrics } from "../metrics/index.js";
import { ClusterDns } from "./cluster-dns.js";
import { listWatchClient } from "../../test/helpers/list-watch-client.js";
import { samples } from "../../test/helpers/exposition.js";

const web = { metadata: { name: "web", namespace: "default", resourceVersion: "1" }, spec: { clusterIP: "10.96.0.50", clusterIPs: ["10.96.0.50"], ports: [{ name: "http", port: 80, protocol: "TCP" }] } };

let dns: ClusterDns;
let port = 0;
const ac = new AbortController();

before(async () => {
  // No upstream resolver: a name outside the cluster cannot be forwarded.
  dns = new ClusterDns(listWatchClient({ services: [web], endpointslices: [] }).client, { upstream: [] });
  await dns.start(ac.signal);
  port = await dns.listen("127.0.0.1", 0);
});
after(async () => { ac.abort(); await dns.stop(); });

let nextId = 1;
const query = (name: string, type: dnsPacket.RecordType, extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({ id: nextId++, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }], ...extra });

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN"];
/** The reply's rcode (from its header), its answers' data and its size. */
interface Reply { rcode: string; data: unknown[]; size: number }
const reply = (b: Buffer): Reply => ({ rcode: RCODES[b[3]! & 0x0f] ?? String(b[3]! & 0x0f), data: (dnsPacket.decode(b).answers ?? []).map((a) => (a as { data?: unknown }).data), size: b.length });

function udp(msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => { sock.close(); reject(new Error("no answer")); }, 3000);
    sock.once("message", (b) => { clearTimeout(timer); sock.close(); resolve(reply(b)); });
    sock.send(msg, port, "127.0.0.1");
  });
}

function tcp(msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const framed = Buffer.alloc(2 + msg.length);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    const sock = connect(port, "127.0.0.1", () => sock.write(framed));
    sock.once("data", (d: Buffer) => { sock.destroy(); resolve(reply(d.subarray(2))); });
    sock.once("error", reject);
  });
}

it("reports a NOERROR and an NXDOMAIN answer as CoreDNS's prometheus plugin does", async () => {
  const found = await udp(query("web.default.svc.cluster.local", "A"));
  assert.equal(found.rcode, "NOERROR");
  assert.deepEqual(found.data, ["10.96.0.50"]);
  const missing = await udp(query("nothere.default.svc.cluster.local", "A"));
  assert.equal(missing.rcode, "NXDOMAIN");
  assert.equal((await tcp(query("_http._tcp.web.default.svc.cluster.local", "SRV"))).rcode, "NOERROR");

  const server = `server="dns://127.0.0.1:${port}"`;
  const m = samples(await renderMetrics([dns.metrics.registry]));
  const at = (name: string, labels: string[]) => m.get(`${name}{${[...labels, server, 'view=""', 'zone="."'].sort().join(",")}}`);
  assert.equal(at("coredns_dns_requests_total", ['family="1"', 'proto="udp"', 'type="A"']), 2);
  assert.equal(at("coredns_dns_requests_total", ['family="1"', 'proto="tcp"', 'type="SRV"']), 1);
  assert.equal(at("coredns_dns_responses_total", ['plugin="kubernetes"', 'rcode="NOERROR"']), 2, "the A record and the SRV record");
  assert.equal(at("coredns_dns_responses_total", ['plugin="kubernetes"', 'rcode="NXDOMAIN"']), 1);
  assert.equal(at("coredns_dns_request_duration_seconds_count", []), 3);
  assert.equal(at("coredns_dns_request_duration_seconds_bucket", ['le="8.192"']), 3, "CoreDNS's buckets: 0.25 ms × 2^n up to 8.192 s");
  assert.equal(at("coredns_dns_request_size_bytes_count", ['proto="udp"']), 2);
  assert.equal(at("coredns_dns_response_size_bytes_count", ['proto="udp"']), 2);
  assert.ok(at("coredns_dns_response_size_bytes_sum", ['proto="udp"'])! >= found.size, "the bytes sent");
  assert.equal(at("coredns_dns_response_size_bytes_bucket", ['le="0"', 'proto="udp"']), 0);
});

it("answers SERVFAIL for a name it cannot forward, counted without a plugin, and counts types it does not name as other", async () => {
  const r = await udp(query("example.org", "A"));
  assert.equal(r.rcode, "SERVFAIL");
  await udp(query("web.default.svc.cluster.local", "NAPTR"));
  await udp(query("web.default.svc.cluster.local", "A", { additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }] }));
  const server = `server="dns://127.0.0.1:${port}"`;
  const m = samples(await renderMetrics([dns.metrics.registry]));
  const at = (name: string, labels: string[]) => m.get(`${name}{${[...labels, server, 'view=""', 'zone="."'].sort().join(",")}}`);
  assert.equal(at("coredns_dns_responses_total", ['plugin=""', 'rcode="SERVFAIL"']), 1);
  assert.equal(at("coredns_dns_requests_total", ['family="1"', 'proto="udp"', 'type="other"']), 1);
  assert.equal(at("coredns_dns_do_requests_total", []), 1);
});
