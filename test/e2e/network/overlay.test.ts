/**
 * The pod network between nodes, in the kernel: two "hosts" as network
 * namespaces this test makes, joined by a veth pair (their only link, as two
 * machines on one network), each with a pod bridge for its pod CIDR and one
 * "pod" namespace on it. With the overlay programmed on both, a pod reaches
 * the other host's pod by its IP, over TCP, with its own address as the
 * source (no NAT), for vxlan and host-gw; an address no node owns is
 * dropped, not routed; stopped, the overlay leaves nothing behind.
 * As root; everything made here is removed at the end and checked.
 *
 * @exclusive: uses the machine's containers, networking or fixed ports; the test runner runs it apart.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { Overlay, VXLAN_DEVICE, runInNamespace, type NetworkBackend } from "../../../src/network/index.js";

const asRoot = process.getuid?.() === 0;
const hasIp = spawnSync("ip", ["-V"]).status === 0 && spawnSync("busybox", ["true"]).status === 0;
const unavailable = !asRoot ? "needs root" : !hasIp ? "iproute2 or busybox-static is not installed" : null;

const tag = `skov${process.pid % 100000}`;
const hosts = [
  { ns: `${tag}-ha`, pod: `${tag}-pa`, link: "10.250.0.1", podCIDR: "10.244.1.0/24", gateway: "10.244.1.1", podIP: "10.244.1.2" },
  { ns: `${tag}-hb`, pod: `${tag}-pb`, link: "10.250.0.2", podCIDR: "10.244.2.0/24", gateway: "10.244.2.1", podIP: "10.244.2.2" },
] as const;
const CLUSTER_CIDR = "10.244.0.0/16";

function sh(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8", timeout: 20_000 });
  return { ok: r.status === 0, out: r.stdout ?? "", err: r.stderr ?? "" };
}
function must(args: string[]): string {
  const r = sh(args);
  if (!r.ok) throw new Error(`${args.join(" ")}: ${r.err}`);
  return r.out;
}
const inNs = (ns: string, args: string[]) => sh(["ip", "netns", "exec", ns, ...args]);

function makeHosts(): void {
  for (const h of hosts) for (const ns of [h.ns, h.pod]) must(["ip", "netns", "add", ns]);
  must(["ip", "link", "add", "veth-a", "netns", hosts[0].ns, "type", "veth", "peer", "name", "veth-b", "netns", hosts[1].ns]);
  for (const [h, dev] of [[hosts[0], "veth-a"], [hosts[1], "veth-b"]] as const) {
    const ip = (args: string[]) => must(["ip", "-n", h.ns, ...args]);
    ip(["link", "set", "lo", "up"]);
    ip(["addr", "add", `${h.link}/24`, "dev", dev]);
    ip(["link", "set", dev, "up"]);
    ip(["link", "add", "pods0", "type", "bridge"]);
    ip(["addr", "add", `${h.gateway}/24`, "dev", "pods0"]);
    ip(["link", "set", "pods0", "up"]);
    ip(["link", "add", "pod0", "netns", h.pod, "type", "veth", "peer", "name", "pod0-host"]);
    ip(["link", "set", "pod0-host", "master", "pods0", "up"]);
    must(["ip", "netns", "exec", h.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    must(["ip", "-n", h.pod, "link", "set", "lo", "up"]);
    must(["ip", "-n", h.pod, "addr", "add", `${h.podIP}/24`, "dev", "pod0"]);
    must(["ip", "-n", h.pod, "link", "set", "pod0", "up"]);
    must(["ip", "-n", h.pod, "route", "add", "default", "via", h.gateway]);
  }
}

function removeHosts(): void {
  for (const h of hosts) for (const ns of [h.ns, h.pod]) sh(["ip", "netns", "del", ns]);
}

/** What the TCP server in the second pod saw as the client's address. */
async function sourceSeenByPeer(): Promise<string> {
  const server = spawn("ip", ["netns", "exec", hosts[1].pod, process.execPath, "-e",
    `require("net").createServer((s) => s.end(s.remoteAddress)).listen(8080, "${hosts[1].podIP}", () => console.log("listening"))`], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once("data", () => resolve());
      server.once("exit", (code) => reject(new Error(`the peer's server exited with ${code}`)));
    });
    const client = inNs(hosts[0].pod, [process.execPath, "-e",
      `const s = require("net").connect(8080, "${hosts[1].podIP}"); let d = ""; s.on("data", (c) => d += c); s.on("end", () => console.log(d)); s.setTimeout(5000, () => { console.error("timeout"); process.exit(1); });`]);
    assert.ok(client.ok, `no TCP connection to the peer's pod: ${client.err}`);
    return client.out.trim();
  } finally {
    server.kill("SIGKILL");
  }
}

describe("the pod network between nodes", { skip: unavailable ?? false }, () => {
  after(() => {
    removeHosts();
    const left = sh(["ip", "netns", "list"]).out.split("\n").filter((l) => l.startsWith(tag));
    assert.deepEqual(left, [], "network namespaces left behind");
  });

  for (const backend of ["vxlan", "host-gw"] as NetworkBackend[]) {
    it(`${backend}: pods on two hosts reach each other by IP, without NAT`, async () => {
      removeHosts();
      makeHosts();
      const overlays = hosts.map((h) => new Overlay({ backend, publicIP: h.link, podCIDR: h.podCIDR, clusterCIDR: CLUSTER_CIDR, run: runInNamespace(h.ns) }));
      try {
        // Without routes to the other host's pods they are unreachable.
        assert.equal(inNs(hosts[0].pod, ["busybox", "ping", "-c1", "-W1", hosts[1].podIP]).ok, false);
        const macs = overlays.map((o) => o.start().vtepMAC);
        if (backend === "vxlan") assert.ok(macs.every((m) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m ?? "")), `VTEP MACs: ${macs}`);
        overlays.forEach((o, i) => {
          const other = 1 - i;
          o.sync([{ name: `node-${other}`, podCIDR: hosts[other]!.podCIDR, publicIP: hosts[other]!.link, vtepMAC: macs[other] }]);
        });
        const ping = inNs(hosts[0].pod, ["busybox", "ping", "-c2", "-W2", hosts[1].podIP]);
        assert.ok(ping.ok, `ping ${hosts[1].podIP}: ${ping.out}${ping.err}`);
        assert.equal(await sourceSeenByPeer(), hosts[0].podIP, "the peer sees the pod's own address");
        const route = must(["ip", "-n", hosts[0].ns, "route", "show", hosts[1].podCIDR]);
        assert.match(route, backend === "vxlan" ? new RegExp(`dev ${VXLAN_DEVICE.replace(".", "\\.")}`) : new RegExp(`via ${hosts[1].link}`));
        // A pod address that no node owns is dropped here, never sent on by another route.
        assert.match(must(["ip", "-n", hosts[0].ns, "route", "show", CLUSTER_CIDR]), /^blackhole 10\.244\.0\.0\/16/m);
        // A peer that goes is routed no more.
        overlays[0]!.sync([]);
        assert.equal(must(["ip", "-n", hosts[0].ns, "route", "show", hosts[1].podCIDR]).trim(), "");
      } finally {
        for (const o of overlays) o.stop();
      }
      for (const h of hosts) {
        assert.equal(sh(["ip", "-n", h.ns, "link", "show", VXLAN_DEVICE]).ok, false, "the VXLAN device is removed");
        assert.equal(must(["ip", "-n", h.ns, "route", "show", CLUSTER_CIDR]).trim(), "", "the blackhole route is removed");
      }
      assert.equal(inNs(hosts[0].pod, ["busybox", "ping", "-c1", "-W1", hosts[1].podIP]).ok, false);
      removeHosts();
    });
  }
});
