import assert from "node:assert/strict";
import { it } from "node:test";
import { NftablesProxier } from "./nftables-proxier.js";
import { proxierOver, slice, svc } from "./test-fixtures.js";

const over = (services: Parameters<typeof proxierOver>[1], slices: Parameters<typeof proxierOver>[2]) => proxierOver(NftablesProxier, services, slices);

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
  const external = /chain svc-[0-9a-f]+x \{\n([\s\S]*?)\n {2}\}/.exec(rs)![1]!;
  assert.match(external, /dnat ip addr \. port to 10\.244\.0\.5 \. 8080/);
  assert.doesNotMatch(external, /10\.244\.1\.5/);
});

it("refills only the changed Service's chain when its endpoints change, and replaces the table otherwise", () => {
  const services = [svc("web", { clusterIP: "10.96.0.20" }), svc("api", { clusterIP: "10.96.0.30" })];
  const slices = [slice("web", [["10.244.0.5", true], ["10.244.0.6", true]]), slice("api", [["10.244.0.9", true]])];
  const p = over(services, slices);
  const first = p.plan("all");
  assert.match(first.script, /^table ip skiff-proxy\ndelete table ip skiff-proxy/);
  assert.equal(first.full, true, "a full sync, for kubeproxy_sync_full_proxy_rules_duration_seconds");
  (p as unknown as { applied: unknown }).applied = first.applied;
  slices[0] = slice("web", [["10.244.0.5", true], ["10.244.0.8", true]]);
  const second = p.plan(new Set(["default/web"]));
  assert.match(second.script, /^add element ip skiff-proxy hairpin \{ 10\.244\.0\.8 \. 10\.244\.0\.8 \}\nflush chain ip skiff-proxy svc-[0-9a-f]+\n/);
  assert.doesNotMatch(second.line!, /\n|#/, "one line, without comments, for the nft session");
  assert.match(second.line!, /; table ip skiff-proxy \{ chain svc-[0-9a-f]+ \{ meta l4proto \{ tcp, udp \} dnat ip addr \. port to numgen random mod 2 map \{[^}]*\}; \}; \}; delete element/);
  assert.match(second.script, /delete element ip skiff-proxy hairpin \{ 10\.244\.0\.6 \. 10\.244\.0\.6 \}\n$/);
  assert.equal(second.script.match(/flush chain/g)?.length, 1);
  assert.equal(second.full, false, "a partial sync");
  assert.match(second.script, /10\.244\.0\.8 \. 8080/);
  assert.doesNotMatch(second.script, /10\.244\.0\.9/, "the other Service is untouched");
  (p as unknown as { applied: unknown }).applied = second.applied;
  slices[1] = slice("api", [["10.244.0.9", false]]);
  const third = p.plan(new Set(["default/api"]));
  assert.match(third.script, /^table ip skiff-proxy\ndelete table ip skiff-proxy/, "a Service losing its last endpoint leaves the map");
  assert.equal(third.full, true);
  assert.doesNotMatch(third.script, /10\.96\.0\.30/);
});

it("answers a LoadBalancer Service's port on the addresses in its status", () => {
  const lb = { ...svc("lb", { clusterIP: "10.96.0.23", type: "LoadBalancer", port: { nodePort: 30081 } }), status: { loadBalancer: { ingress: [{ ip: "10.244.0.1" }] } } };
  const rs = over([lb], [slice("lb", [["10.244.0.5", true]])]).ruleset();
  assert.match(rs, /10\.244\.0\.1 \. tcp \. 80 : goto ext-[0-9a-f]+/);
  assert.match(rs, /tcp \. 30081 : goto ext-/);
});
