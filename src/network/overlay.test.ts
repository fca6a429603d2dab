import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Overlay, VXLAN_DEVICE, linkOf, podMTU } from "./overlay.js";
import type { Runner } from "./commands.js";

/** A runner that answers `ip -j addr show` and `ip -j link show` as a machine with these links would, and records the rest. */
function fakeMachine(links: { ifname: string; mtu: number; address?: string }[]): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (command, args) => {
    const line = `${command} ${args.join(" ")}`;
    calls.push(line);
    if (line === "ip -j addr show") {
      return { ok: true, err: "", out: JSON.stringify(links.map((l) => ({ ifname: l.ifname, mtu: l.mtu, addr_info: l.address ? [{ family: "inet", local: l.address, prefixlen: 24 }] : [] }))) };
    }
    if (line === `ip -j link show ${VXLAN_DEVICE}`) return { ok: true, err: "", out: JSON.stringify([{ ifname: VXLAN_DEVICE, address: "aa:bb:cc:dd:ee:ff" }]) };
    if (line === `ip link show ${VXLAN_DEVICE}`) return { ok: false, out: "", err: "does not exist" };
    return { ok: true, out: "", err: "" };
  };
  return { run, calls };
}

describe("the pod network's MTU", () => {
  it("is the carrying interface's MTU less 50 for vxlan, and that MTU for host-gw", () => {
    assert.equal(podMTU("vxlan", 1500), 1450);
    assert.equal(podMTU("vxlan", 9001), 8951);
    assert.equal(podMTU("host-gw", 1500), 1500);
    assert.equal(podMTU("host-gw", 9000), 9000);
  });

  it("finds the interface that holds the node's address, and its MTU", () => {
    const { run } = fakeMachine([{ ifname: "lo", mtu: 65536, address: "127.0.0.1" }, { ifname: "eth0", mtu: 9000, address: "10.0.0.5" }]);
    assert.deepEqual(linkOf("10.0.0.5", run), { ifname: "eth0", mtu: 9000 });
    assert.equal(linkOf("10.9.9.9", run), undefined);
  });

  it("gives the vxlan device the MTU of the node address's interface less 50", () => {
    const { run, calls } = fakeMachine([{ ifname: "eth0", mtu: 9000, address: "10.0.0.5" }]);
    new Overlay({ backend: "vxlan", publicIP: "10.0.0.5", podCIDR: "10.244.1.0/24", clusterCIDR: "10.244.0.0/16", run }).start();
    assert.ok(calls.includes(`ip link set ${VXLAN_DEVICE} mtu 8950 up`), calls.join("\n"));
    const told = fakeMachine([{ ifname: "eth0", mtu: 9000, address: "10.0.0.5" }]);
    new Overlay({ backend: "vxlan", publicIP: "10.0.0.5", podCIDR: "10.244.1.0/24", clusterCIDR: "10.244.0.0/16", mtu: 1400, run: told.run }).start();
    assert.ok(told.calls.includes(`ip link set ${VXLAN_DEVICE} mtu 1400 up`), told.calls.join("\n"));
  });
});
