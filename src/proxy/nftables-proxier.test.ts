import assert from "node:assert/strict";
import { it } from "node:test";
import { NftablesProxier, splitServiceChains } from "./nftables-proxier.js";
import { proxierOver, slice, svc } from "./test-fixtures.js";

const over = (services: object[], slices: object[]) => proxierOver(NftablesProxier, services, slices);

it("sends a ClusterIP to its ready endpoints only, picked at random", () => {
  const rs = over([svc("web", { clusterIP: "10.96.0.20" })], [slice("web", [["10.244.0.5", true], ["10.244.0.6", true], ["10.244.0.7", false]])]).ruleset();
  assert.match(rs, /10\.96\.0\.20 \. tcp \. 80 : goto svc-[0-9a-f]+/);
  assert.match(rs, /dnat ip addr \. port to numgen random mod 2 map \{ 0 : 10\.244\.0\.5 \. 8080, 1 : 10\.244\.0\.6 \. 8080 \}/);
  assert.doesNotMatch(rs, /10\.244\.0\.7/);
  assert.match(rs, /ip daddr 10\.96\.0\.0\/16 reject/);
});

it("gives a Service without ready endpoints no rule, so the reject answers", () => {
  const rs = over([svc("empty", { clusterIP: "10.96.0.21" })], [slice("empty", [["10.244.0.5", false]])]).ruleset();
  assert.doesNotMatch(rs, /10\.96\.0\.21/);
});

it("keeps a NodePort with externalTrafficPolicy Local to this node's endpoints", () => {
  const rs = over([svc("np", { clusterIP: "10.96.0.22", type: "NodePort", externalTrafficPolicy: "Local", port: { nodePort: 30080 } })],
    [slice("np", [["10.244.0.5", true], ["10.244.1.5", true, "node-b"]])]).ruleset();
  assert.match(rs, /tcp \. 30080 : goto ext-/);
  const { chains } = splitServiceChains(rs);
  const external = [...chains].find(([name]) => /^svc-[0-9a-f]+x$/.test(name))![1];
  assert.match(external, /dnat ip addr \. port to 10\.244\.0\.5 \. 8080/);
  assert.doesNotMatch(external, /10\.244\.1\.5/);
});

it("changes only the Service's chain when an endpoint changes", () => {
  const services = [svc("web", { clusterIP: "10.96.0.20" })];
  const before = splitServiceChains(over(services, [slice("web", [["10.244.0.5", true], ["10.244.0.6", true]])]).ruleset());
  const after = splitServiceChains(over(services, [slice("web", [["10.244.0.5", true], ["10.244.0.8", true]])]).ruleset());
  assert.equal(after.head, before.head);
  assert.deepEqual([...after.chains.keys()], [...before.chains.keys()]);
  assert.notEqual([...after.chains.values()][0], [...before.chains.values()][0]);
});

it("answers a LoadBalancer Service's port on the addresses in its status", () => {
  const lb = { ...svc("lb", { clusterIP: "10.96.0.23", type: "LoadBalancer", port: { nodePort: 30081 } }), status: { loadBalancer: { ingress: [{ ip: "10.244.0.1" }] } } };
  const rs = over([lb], [slice("lb", [["10.244.0.5", true]])]).ruleset();
  assert.match(rs, /10\.244\.0\.1 \. tcp \. 80 : goto ext-[0-9a-f]+/);
  assert.match(rs, /tcp \. 30081 : goto ext-/);
});
