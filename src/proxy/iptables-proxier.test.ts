import assert from "node:assert/strict";
import { it } from "node:test";
import { IptablesProxier } from "./iptables-proxier.js";
import { proxierOver, slice, svc } from "./test-fixtures.js";

const rules = (services: Parameters<typeof proxierOver>[1], slices: Parameters<typeof proxierOver>[2], existing?: Set<string>) => proxierOver(IptablesProxier, services, slices).rules(existing);

it("spreads a ClusterIP over its ready endpoints with falling probabilities", () => {
  const { text } = rules([svc("web", { clusterIP: "10.96.0.20" })], [slice("web", [["10.244.0.5", true], ["10.244.0.6", true], ["10.244.0.7", true], ["10.244.0.9", false]])]);
  const svcChain = /-A SKIFF-SERVICES -d 10\.96\.0\.20\/32 -p tcp -m tcp --dport 80 .* -j (SKIFF-SVC-[0-9A-F]+)/.exec(text)?.[1];
  assert.ok(svcChain, text);
  const picks = text.split("\n").filter((l) => l.startsWith(`-A ${svcChain} `));
  assert.deepEqual(picks.map((l) => /--probability ([\d.]+)/.exec(l)?.[1]), ["0.3333333333", "0.5000000000", undefined]);
  assert.match(text, /-j DNAT --to-destination 10\.244\.0\.5:8080/);
  assert.doesNotMatch(text, /10\.244\.0\.9/);
  assert.match(text, /-A SKIFF-REJECT -d 10\.96\.0\.0\/16 -p tcp -j REJECT --reject-with tcp-reset/);
  assert.match(text, /\*mangle\n:SKIFF-POD-GUARD - \[0:0\]\n-A SKIFF-POD-GUARD -o lo -j RETURN\n-A SKIFF-POD-GUARD -d 10\.244\.0\.0\/16 ! -o skiff0 -j DROP/);
});

it("gives a Service without ready endpoints no rule, so the reject answers", () => {
  const { text } = rules([svc("empty", { clusterIP: "10.96.0.21" })], [slice("empty", [["10.244.0.5", false]])]);
  assert.doesNotMatch(text, /10\.96\.0\.21/);
});

it("sends NodePorts on the node address through an external chain that masquerades outside clients", () => {
  const { text } = rules([svc("np", { clusterIP: "10.96.0.22", type: "NodePort", externalTrafficPolicy: "Local", port: { nodePort: 30080 } })],
    [slice("np", [["10.244.0.5", true], ["10.244.1.5", true, "node-b"]])]);
  assert.match(text, /-A SKIFF-SERVICES -d 10\.244\.0\.1\/32 -j SKIFF-NODEPORTS/);
  const ext = /-A SKIFF-NODEPORTS -p tcp -m tcp --dport 30080 .* -j (SKIFF-EXT-[0-9A-F]+)/.exec(text)?.[1];
  assert.ok(ext);
  assert.match(text, new RegExp(`-A ${ext} ! -s 10\\.244\\.0\\.0/16 -j SKIFF-MARK-MASQ`));
  assert.equal(text.match(/DNAT --to-destination 10\.244\.0\.5/g)?.length, 2, "the ClusterIP and the NodePort reach the local endpoint");
  assert.equal(text.match(/DNAT --to-destination 10\.244\.1\.5/g)?.length, 1, "only the ClusterIP reaches the other node's: Local keeps the NodePort here");
});

it("remembers a client's endpoint with ClientIP affinity", () => {
  const { text } = rules([svc("sticky", { clusterIP: "10.96.0.24", sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })],
    [slice("sticky", [["10.244.0.5", true], ["10.244.0.6", true]])]);
  assert.equal(text.match(/-m recent --name SKIFF-SEP-[0-9A-F]+ --rcheck --seconds 60 --reap/g)?.length, 2);
  assert.equal(text.match(/-m recent --name SKIFF-SEP-[0-9A-F]+ --set/g)?.length, 2);
});

it("deletes the chains of Services that are gone", () => {
  const first = rules([svc("web", { clusterIP: "10.96.0.20" })], [slice("web", [["10.244.0.5", true]])]);
  const second = rules([], [], first.chains);
  for (const c of first.chains) assert.match(second.text, new RegExp(`^-X ${c}$`, "m"));
  assert.equal(second.chains.size, 0);
});
