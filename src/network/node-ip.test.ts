import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseNodeIP, detectNodeIP, type LinkJson } from "./node-ip.js";
import type { Runner } from "./commands.js";

const links: LinkJson[] = [
  { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", scope: "host" }, { family: "inet6", local: "::1", scope: "host" }] },
  { ifname: "eth0", addr_info: [{ family: "inet", local: "192.0.2.2", scope: "global" }] },
  { ifname: "eth1", addr_info: [{ family: "inet6", local: "fe80::1", scope: "link" }, { family: "inet", local: "172.30.0.10", scope: "global" }] },
];

describe("the node's default InternalIP", () => {
  it("is an address of the default route's interface", () => {
    assert.equal(chooseNodeIP({ defaultRoutes: [{ dst: "default", gateway: "192.0.2.1", dev: "eth0" }], links }), "192.0.2.2");
    assert.equal(chooseNodeIP({ defaultRoutes: [{ dst: "default", dev: "eth1" }], routeToServer: [{ dev: "eth0", prefsrc: "192.0.2.2" }], links }), "172.30.0.10",
      "the default route wins over the route to the server");
  });

  it("without a default route, is where the route to the server leaves from", () => {
    assert.equal(chooseNodeIP({ defaultRoutes: [], routeToServer: [{ dst: "172.30.0.2", dev: "eth1", prefsrc: "172.30.0.10" }], links }), "172.30.0.10");
    assert.equal(chooseNodeIP({ defaultRoutes: [], routeToServer: [{ dst: "172.30.0.2", dev: "eth1" }], links }), "172.30.0.10", "its interface's address without a source");
  });

  it("is never loopback while the machine has another address", () => {
    // A server on this machine: the route to it is local, by lo.
    assert.equal(chooseNodeIP({ defaultRoutes: [], routeToServer: [{ type: "local", dst: "127.0.0.1", dev: "lo", prefsrc: "127.0.0.1" }], links }), "192.0.2.2");
    assert.equal(chooseNodeIP({ defaultRoutes: [], links: [links[0]!] }), "127.0.0.1", "loopback only when there is nothing else");
  });

  it("reads the routes and addresses with ip -j", () => {
    const asked: string[] = [];
    const run: Runner = (command, args) => {
      asked.push(`${command} ${args.join(" ")}`);
      const out = args.includes("default") ? "[]"
        : args.includes("get") ? JSON.stringify([{ dst: "172.30.0.2", dev: "eth1", prefsrc: "172.30.0.10", flags: [], cache: [] }])
        : JSON.stringify(links);
      return { ok: true, out, err: "" };
    };
    assert.equal(detectNodeIP("172.30.0.2", run), "172.30.0.10");
    assert.deepEqual(asked, ["ip -j -4 route show default", "ip -j route get 172.30.0.2", "ip -j addr show"]);
  });
});
