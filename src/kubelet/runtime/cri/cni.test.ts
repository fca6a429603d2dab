import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cniConflist } from "./cni.js";

describe("the CNI configuration", () => {
  it("gives the bridge and the pods' veths the pod network's MTU when there is one", () => {
    const bridge = (mtu?: number) => JSON.parse(cniConflist({ bridge: "skiff0", podCIDR: "10.244.1.0/24", gateway: "10.244.1.1", mtu }, "/ipam")).plugins[0];
    assert.equal(bridge(1450).mtu, 1450);
    assert.equal("mtu" in bridge(), false, "without one, the plugin's default");
  });
});
