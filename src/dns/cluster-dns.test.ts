import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Namespace, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import type { Client, Kube, ResourceRef } from "../client/index.js";
import { ClusterDns } from "./cluster-dns.js";

interface Objects { namespaces: Kube<Namespace>[]; services: Kube<Service>[]; endpointslices: Kube<EndpointSlice>[] }

/** A client that lists fixed objects by resource and whose watches wait until the informers stop. */
function fakeClient(objects: Objects): Client {
  return {
    list: async (r: ResourceRef) => ({ metadata: { resourceVersion: "1" }, items: structuredClone(objects[r.resource as keyof Objects] ?? []) }),
    watch: (_r: ResourceRef, _ns: unknown, _p: unknown, _on: unknown, signal?: AbortSignal) => new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve())),
  } as unknown as Client;
}

const ns = (name: string): Kube<Namespace> => ({ metadata: { name, resourceVersion: "1" } });

describe("cluster DNS records", () => {
  const stop = new AbortController();
  const dns = new ClusterDns(fakeClient({
    namespaces: [ns("default"), ns("team")],
    services: [{ metadata: { name: "db", namespace: "team", resourceVersion: "1" }, spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] } }],
    endpointslices: [{
      metadata: { name: "db-abcde", namespace: "team", resourceVersion: "1", labels: { "kubernetes.io/service-name": "db" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.1.0.7"], hostname: "primary", conditions: { ready: true } },
        { addresses: ["10.1.0.8"], conditions: { ready: true } },
      ],
    }],
  }), { upstream: [] });
  before(() => dns.start(stop.signal));
  after(() => stop.abort());

  it("answers a pod's dashed address in an existing namespace with that address, as CoreDNS's `pods insecure`", () => {
    assert.deepEqual(dns.lookup("10-1-2-3.default.pod.cluster.local", "A"), { rcode: "NOERROR", answers: [{ name: "10-1-2-3.default.pod.cluster.local", type: "A", ttl: 5, class: "IN", data: "10.1.2.3" }] });
    assert.deepEqual(dns.lookup("10-1-2-3.default.pod.cluster.local", "AAAA"), { rcode: "NOERROR", answers: [] }, "no AAAA for an IPv4 address, but the name exists");
    assert.deepEqual(dns.lookup("fd00--1.team.pod.cluster.local", "AAAA").answers.map((a) => (a as { data: unknown }).data), ["fd00::1"]);
    assert.equal(dns.lookup("10-1-2-3.nowhere.pod.cluster.local", "A").rcode, "NXDOMAIN", "a namespace that does not exist");
    assert.equal(dns.lookup("web-0.default.pod.cluster.local", "A").rcode, "NXDOMAIN", "not an address");
    assert.equal(dns.lookup("10-1-2-300.default.pod.cluster.local", "A").rcode, "NXDOMAIN");
    assert.equal(dns.lookup("x.10-1-2-3.default.pod.cluster.local", "A").rcode, "NXDOMAIN");
    assert.deepEqual([dns.lookup("default.pod.cluster.local", "A").rcode, dns.lookup("nowhere.pod.cluster.local", "A").rcode, dns.lookup("pod.cluster.local", "A").rcode], ["NOERROR", "NXDOMAIN", "NOERROR"]);
  });

  it("answers a pod's hostname under the headless Service its subdomain names", () => {
    assert.deepEqual(dns.lookup("primary.db.team.svc.cluster.local", "A").answers.map((a) => (a as { data: unknown }).data), ["10.1.0.7"]);
    assert.deepEqual(dns.lookup("10-1-0-8.db.team.svc.cluster.local", "A").answers.map((a) => (a as { data: unknown }).data), ["10.1.0.8"]);
    assert.deepEqual(dns.lookup("db.team.svc.cluster.local", "A").answers.map((a) => (a as { data: unknown }).data), ["10.1.0.7", "10.1.0.8"]);
    assert.equal(dns.lookup("replica.db.team.svc.cluster.local", "A").rcode, "NXDOMAIN");
  });

  it("tells a namespace that exists from one that does not by the namespace, not by its Services", () => {
    assert.deepEqual([dns.lookup("team.svc.cluster.local", "A").rcode, dns.lookup("default.svc.cluster.local", "A").rcode, dns.lookup("nowhere.svc.cluster.local", "A").rcode], ["NOERROR", "NOERROR", "NXDOMAIN"]);
  });
});
