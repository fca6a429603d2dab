/**
 * Two API servers on one store, as an HA control plane runs them: Services
 * created on both at once never share a ClusterIP or a NodePort, an address
 * one server frees the other can hand out, the allocation records match the
 * Services that exist, and the `kubernetes` Service's endpoints list both
 * servers and drop one as soon as it stops.
 *
 * On SQLite the two servers share one store (the backend feeds its watchers
 * in-process, so one file is one SqliteStore); on etcd (SKIFF_TEST_ETCD) each
 * has its own client.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Endpoints, Service } from "kubernetes-types/core/v1.js";
import type { EndpointSlice } from "kubernetes-types/discovery/v1.js";
import { ApiServer, ensurePki } from "../../../src/apiserver/index.js";
import { ipToNumber } from "../../../src/apiserver/registry/allocator.js";
import { SERVICE_IPS_KEY, SERVICE_NODE_PORTS_KEY, ServiceAllocations } from "../../../src/apiserver/registry/core/services/service-allocations.js";
import { ApiError } from "../../../src/api/errors.js";
import { Client, Resources, type KubeObject } from "../../../src/client/index.js";
import { EtcdStore, SqliteStore, type Store } from "../../../src/storage/index.js";
import { eventually } from "../../helpers/kubectl.js";

const ADDRESSES = ["127.0.0.2", "127.0.0.3"];
const PER_SERVER = 50;

type Svc = KubeObject & Service;

/** Runs fn over items with at most limit at a time. */
async function bounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

async function twoServers(stores: [Store, Store], dir: string) {
  const pki = await ensurePki(join(dir, "tls"), ADDRESSES);
  const options = { pki, kubernetesEndpoints: { intervalMs: 500, leaseTtlMs: 3_000 } };
  const a = new ApiServer({ ...options, store: stores[0], bindAddress: ADDRESSES[0], port: 0 });
  await a.start();
  // The same port on another address: the kubernetes Service has one target port for all servers, as upstream assumes.
  const port = Number(new URL(a.url).port);
  const b = new ApiServer({ ...options, store: stores[1], bindAddress: ADDRESSES[1], port });
  await b.start();
  const client = (server: ApiServer) => new Client({ server: server.url, ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey });
  return { servers: [a, b] as const, clients: [client(a), client(b)] as const, port };
}

function newService(name: string, spec: Service["spec"] = {}): Svc {
  return { metadata: { name }, spec: { type: "NodePort", selector: { app: name }, ports: [{ port: 80, protocol: "TCP" }], ...spec } };
}

async function scenario(stores: [Store, Store]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "skiff-two-apiservers-"));
  const { servers: [a, b], clients: [ca, cb], port } = await twoServers(stores, dir);
  const ns = `two-servers-${Date.now()}`;
  let bStopped = false;
  try {
    await ca.create(Resources.namespaces, undefined, { metadata: { name: ns } });

    // 50 Services on each server at once, 8 in flight on each.
    const names = Array.from({ length: PER_SERVER * 2 }, (_, i) => `svc-${i}`);
    const created = await bounded(names, 16, (name) => (Number(name.slice(4)) % 2 ? cb : ca).create<Svc>(Resources.services, ns, newService(name)));
    const ips = created.map((s) => s.spec!.clusterIP!);
    const nodePorts = created.map((s) => s.spec!.ports![0]!.nodePort!);
    assert.equal(new Set(ips).size, ips.length, "no ClusterIP twice");
    assert.equal(new Set(nodePorts).size, nodePorts.length, "no NodePort twice");
    const listed = (await cb.list<Svc>(Resources.services, ns)).items;
    assert.deepEqual(listed.map((s) => s.spec!.clusterIP).sort(), [...ips].sort(), "both servers see what both allocated");

    // An address or a port held through one server is refused by the other, with upstream's messages.
    const held = created[0]!;
    const heldIP = held.spec!.clusterIP!;
    const heldPort = held.spec!.ports![0]!.nodePort!;
    await assert.rejects(cb.create(Resources.services, ns, newService("same-ip", { type: "ClusterIP", clusterIP: heldIP })), (err) =>
      err instanceof ApiError && err.code === 422 && err.message === `Service "same-ip" is invalid: spec.clusterIPs: Invalid value: ["${heldIP}"]: failed to allocate IP ${heldIP}: provided IP is already allocated`);
    await assert.rejects(cb.create(Resources.services, ns, newService("same-port", { ports: [{ port: 80, protocol: "TCP", nodePort: heldPort }] })), (err) =>
      err instanceof ApiError && err.code === 422 && err.message === `Service "same-port" is invalid: spec.ports[0].nodePort: Invalid value: ${heldPort}: provided port is already allocated`);

    // Freed on one server, taken on the other at once.
    await ca.delete(Resources.services, ns, held.metadata.name!);
    const reuse = await cb.create<Svc>(Resources.services, ns, newService("reuse", { clusterIP: heldIP, ports: [{ port: 80, protocol: "TCP", nodePort: heldPort }] }));
    assert.equal(reuse.spec!.clusterIP, heldIP);
    assert.equal(reuse.spec!.ports![0]!.nodePort, heldPort);

    // The same name created on both at once: one wins, and the loser's allocations go back.
    const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => Promise.allSettled([ca, cb].map((c) => c.create(Resources.services, ns, newService(`race-${i}`))))));
    for (const pair of raced) {
      assert.equal(pair.filter((r) => r.status === "fulfilled").length, 1);
      const loser = pair.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.ok(loser.reason instanceof ApiError && loser.reason.code === 409, String(loser.reason));
    }
    await assertRecordsMatchServices(stores[0], ca);

    // The kubernetes Service's endpoints: both servers, sorted, on their port named https.
    const kubernetesEndpoints = async (c: Client) => {
      const ep = await c.get<KubeObject & Endpoints>(Resources.endpoints, "default", "kubernetes");
      const slice = await c.get<KubeObject & EndpointSlice>(Resources.endpointslices, "default", "kubernetes");
      return { ips: (ep.subsets?.[0]?.addresses ?? []).map((x) => x.ip), ports: ep.subsets?.[0]?.ports, sliceIps: slice.endpoints.map((e) => e.addresses[0]), slicePorts: slice.ports };
    };
    const both = await eventually(async () => {
      const e = await kubernetesEndpoints(ca);
      return e.ips.join() === ADDRESSES.join() && e.sliceIps.join() === ADDRESSES.join() ? e : undefined;
    }, 20_000, 200);
    assert.deepEqual(both!.ports, [{ name: "https", port, protocol: "TCP" }]);
    assert.deepEqual(both!.slicePorts, [{ name: "https", port, protocol: "TCP" }]);
    const svc = await ca.get<Svc>(Resources.services, "default", "kubernetes");
    assert.equal(svc.spec!.clusterIP, "10.96.0.1");
    assert.equal(svc.spec!.ports![0]!.targetPort, port);

    // A server that stops leaves the endpoints as it goes, not a lease's lifetime later.
    cb.close();
    await b.stop();
    bStopped = true;
    const after = await kubernetesEndpoints(ca);
    assert.deepEqual(after.ips, [ADDRESSES[0]]);
    assert.deepEqual(after.sliceIps, [ADDRESSES[0]]);

    // Deletes free what they held: the records hold nothing of this namespace's Services once they are gone.
    const left = (await ca.list<Svc>(Resources.services, ns)).items;
    await bounded(left, 8, (s) => ca.delete(Resources.services, ns, s.metadata.name!));
    await assertRecordsMatchServices(stores[0], ca);
  } finally {
    await ca.delete(Resources.namespaces, undefined, ns).catch(() => undefined);
    ca.close();
    if (!bStopped) { cb.close(); await b.stop(); }
    await a.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stored bitmaps hold exactly what the Services that exist hold (nothing leaked, nothing lost). */
async function assertRecordsMatchServices(store: Store, client: Client): Promise<void> {
  const all = (await client.list<Svc>(Resources.services)).items;
  const wantIPs = all.map((s) => s.spec?.clusterIP).filter((ip): ip is string => !!ip && ip !== "None").map((ip) => ipToNumber(ip)!).sort((x, y) => x - y);
  const wantPorts = [...new Set(all.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort).filter((p): p is number => !!p)))].sort((x, y) => x - y);
  const allocations = new ServiceAllocations({ store });
  const ips = await allocations.clusterIPs.read();
  const ports = await allocations.nodePorts.read();
  assert.ok(ips && ports, `${SERVICE_IPS_KEY} and ${SERVICE_NODE_PORTS_KEY} exist`);
  assert.deepEqual([...ips.allocator.values()], wantIPs, "ClusterIP record = the Services' ClusterIPs");
  assert.deepEqual([...ports.allocator.values()], wantPorts, "NodePort record = the Services' NodePorts");
}

describe("two API servers on one store", () => {
  it("SQLite: allocate once across both, and list both in the kubernetes endpoints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-two-apiservers-db-"));
    const store = new SqliteStore(join(dir, "state.db"));
    try {
      await scenario([store, store]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("etcd: allocate once across both, and list both in the kubernetes endpoints", { skip: process.env.SKIFF_TEST_ETCD ? false : "SKIFF_TEST_ETCD is not set" }, async () => {
    const endpoint = process.env.SKIFF_TEST_ETCD!;
    const stores: [Store, Store] = [new EtcdStore([endpoint]), new EtcdStore([endpoint])];
    try {
      await scenario(stores);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
