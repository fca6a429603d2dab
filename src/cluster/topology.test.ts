import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freeOctet, topology, validateClusterName } from "./topology.js";

describe("a local cluster's topology", () => {
  it("gives each node a namespace, an address and a host link of at most 15 characters", () => {
    const t = topology("dev", 3, 2, "/d");
    assert.equal(t.subnet, "172.30.3.0/24");
    assert.equal(t.gateway, "172.30.3.1");
    assert.deepEqual(t.nodes.map((n) => [n.name, n.role, n.netns, n.ip, n.dataDir]), [
      ["dev-server", "server", "skiff-dev-server", "172.30.3.2", "/d/dev-server"],
      ["dev-agent-1", "agent", "skiff-dev-agent-1", "172.30.3.10", "/d/dev-agent-1"],
      ["dev-agent-2", "agent", "skiff-dev-agent-2", "172.30.3.11", "/d/dev-agent-2"],
    ]);
    for (const link of [t.bridge, ...t.nodes.map((n) => n.hostLink)]) assert.ok(link.length <= 15, link);
    assert.equal(new Set(t.nodes.map((n) => n.hostLink)).size, 3);
    assert.notEqual(topology("other", 3, 0, "/d").bridge, t.bridge);
  });

  it("gives three servers an address, a host link and an etcd member each", () => {
    const t = topology("ha", 4, 1, "/d", 3);
    assert.deepEqual(t.nodes.map((n) => [n.name, n.role, n.ip, n.hostLink.slice(-2), n.etcd?.clientURL]), [
      ["ha-server-1", "server", "172.30.4.2", "v0", "http://172.30.4.2:2379"],
      ["ha-server-2", "server", "172.30.4.3", "v1", "http://172.30.4.3:2379"],
      ["ha-server-3", "server", "172.30.4.4", "v2", "http://172.30.4.4:2379"],
      ["ha-agent-1", "agent", "172.30.4.10", "v3", undefined],
    ]);
    assert.equal(t.nodes[0]!.etcd!.dataDir, "/d/ha-server-1-etcd");
    assert.equal(t.nodes[0]!.netns, "skiff-ha-server-1");
  });

  it("picks a /24 that no address and no other cluster uses", () => {
    assert.equal(freeOctet(["127.0.0.1", "172.30.0.1", "10.0.0.5"], new Set([1])), 2);
    assert.equal(freeOctet([], new Set()), 0);
    assert.equal(freeOctet(Array.from({ length: 256 }, (_, i) => `172.30.${i}.1`), new Set()), undefined);
  });

  it("refuses names that would not make interface and namespace names", () => {
    assert.equal(validateClusterName("dev-1"), undefined);
    assert.match(validateClusterName("Dev")!, /invalid cluster name/);
    assert.match(validateClusterName("a".repeat(33))!, /at most 32/);
    assert.match(validateClusterName("-x")!, /invalid cluster name/);
  });
});
