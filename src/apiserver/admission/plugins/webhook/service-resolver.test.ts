import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoints, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { EndpointServiceResolver } from "./service-resolver.js";

const service = (spec: Service["spec"]): Service => ({ metadata: { name: "hook", namespace: "hooks" }, spec });
const slice = (endpoints: EndpointSlice["endpoints"], ports: EndpointSlice["ports"] = [{ name: "https", port: 8443 }]): EndpointSlice =>
  ({ metadata: { name: "hook-1", namespace: "hooks" }, addressType: "IPv4", endpoints, ports });
const resolver = (svc: Service | undefined, slices: EndpointSlice[] = [], endpoints?: Endpoints) => new EndpointServiceResolver({
  getService: async () => svc, listEndpointSlices: async () => slices, getEndpoints: async () => endpoints,
});
const error = (p: Promise<unknown>) => p.then(() => "resolved", (e: Error) => e.message);
const https = { ports: [{ name: "https", port: 443, targetPort: 8443 }] };

describe("EndpointServiceResolver", () => {
  it("dials a ready endpoint of the slices at the port of the same name", async () => {
    const r = resolver(service(https), [slice([{ addresses: ["10.0.0.1"], conditions: { ready: false } }, { addresses: ["10.0.0.2"], conditions: { ready: true } }])]);
    assert.deepEqual(await r.resolve("hooks", "hook", 443), { host: "10.0.0.2", port: 8443 });
  });
  it("falls back to the Endpoints when no slice has a ready address", async () => {
    const eps: Endpoints = { metadata: { name: "hook" }, subsets: [{ addresses: [{ ip: "127.0.0.1" }], ports: [{ name: "https", port: 9443 }] }] };
    assert.deepEqual(await resolver(service(https), [], eps).resolve("hooks", "hook", 443), { host: "127.0.0.1", port: 9443 });
  });
  it("an ExternalName Service is dialled by its name", async () => {
    assert.deepEqual(await resolver(service({ type: "ExternalName", externalName: "hooks.example.com" })).resolve("hooks", "hook", 443), { host: "hooks.example.com", port: 443 });
  });
  it("says why there is nothing to dial, in upstream's words", async () => {
    assert.equal(await error(resolver(undefined).resolve("hooks", "hook", 443)), 'service "hook" not found');
    assert.equal(await error(resolver(service(https)).resolve("hooks", "hook", 8080)), 'no service port 8080 found for service "hook"');
    assert.equal(await error(resolver(service(https), [slice([{ addresses: ["10.0.0.1"] }], [{ name: "metrics", port: 9090 }])]).resolve("hooks", "hook", 443)), 'no endpoints available for service "hook"');
  });
});
