import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../../../api/errors.js";
import { SqliteStore } from "../../../../storage/index.js";
import type { Service, ServiceSpec } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../../api/kube-object.js";
import type { Obj } from "../../object-store.js";
import { AllocationRepair } from "./allocation-repair.js";
import { ServiceAllocations } from "./service-allocations.js";

type TestService = Kube<Service> & { spec: ServiceSpec };

function newService(name: string, spec: ServiceSpec = {}): TestService {
  return { metadata: { name, namespace: "default" }, spec: { ports: [{ port: 80, protocol: "TCP" }], ...spec } };
}

async function setup() {
  const store = new SqliteStore(":memory:");
  const allocations = new ServiceAllocations({ store });
  await new AllocationRepair({ allocations, listServices: async () => [], recordEvent: () => undefined }).runOnce();
  return {
    allocations,
    /** What a create does: the hook, then (here) a write that succeeds. */
    create: async <T extends Obj>(svc: T) => { await allocations.beforeWrite(svc, undefined, {}); return svc; },
    ipTaken: (ip: string) => allocations.clusterIPs.has(ip.split(".").reduce((n, p) => n * 256 + Number(p), 0)),
    portTaken: (port: number) => allocations.nodePorts.has(port),
    async [Symbol.asyncDispose]() { await store.close(); },
  };
}

/** The message kubectl prints for a 422. */
async function invalidMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError && err.code === 422, String(err));
    return err.message;
  }
  return "no error";
}

describe("ServiceAllocations", () => {
  it("assigns a ClusterIP and NodePorts, TCP and UDP of one port sharing theirs", async () => {
    await using t = await setup();
    const svc = await t.create(newService("dns", { type: "NodePort", ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }, { port: 9153, protocol: "TCP" }] }));
    assert.match(svc.spec.clusterIP!, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.equal(await t.ipTaken(svc.spec.clusterIP!), true);
    const [udp, tcp, metrics] = svc.spec.ports!.map((p) => p.nodePort!);
    assert.equal(udp, tcp);
    assert.notEqual(udp, metrics);
    for (const port of [udp, metrics]) assert.equal(await t.portTaken(port), true);
  });

  it("refuses an address or a port already taken with upstream's messages", async () => {
    await using t = await setup();
    await t.create(newService("dns", { clusterIP: "10.96.0.10" }));
    await t.create(newService("web", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }));
    assert.equal(await invalidMessage(t.create(newService("again", { clusterIP: "10.96.0.10" }))),
      'Service "again" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    assert.equal(await invalidMessage(t.create(newService("again", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] }))),
      'Service "again" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  });

  it("refuses an address or a port outside its range", async () => {
    await using t = await setup();
    assert.equal(await invalidMessage(t.create(newService("far", { clusterIP: "10.97.0.1" }))),
      'Service "far" is invalid: spec.clusterIPs: Invalid value: ["10.97.0.1"]: failed to allocate IP 10.97.0.1: the provided IP (10.97.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/16');
    assert.equal(await invalidMessage(t.create(newService("low", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 8080 }] }))),
      'Service "low" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it("gives back what it took when a later port is refused, and when the write fails", async () => {
    await using t = await setup();
    await t.create(newService("holder", { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30001 }] }));
    const refused = newService("refused", { clusterIP: "10.96.3.3", type: "NodePort", ports: [{ port: 81, protocol: "TCP", nodePort: 30002 }, { port: 80, protocol: "TCP", nodePort: 30001 }] });
    await assert.rejects(t.create(refused), (err) => err instanceof ApiError && err.code === 422);
    assert.equal(await t.ipTaken("10.96.3.3"), false);
    assert.equal(await t.portTaken(30002), false);
    const failed = newService("failed", { clusterIP: "10.96.4.4", type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30004 }] });
    const undo = await t.allocations.beforeWrite(failed, undefined, {});
    assert.equal(await t.ipTaken("10.96.4.4"), true);
    await undo!();
    assert.equal(await t.ipTaken("10.96.4.4"), false);
    assert.equal(await t.portTaken(30004), false);
  });

  it("takes nothing on a dry run, but refuses what is taken", async () => {
    await using t = await setup();
    await t.create(newService("dns", { clusterIP: "10.96.0.10" }));
    const dry = newService("dry", { clusterIP: "10.96.0.11", type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30011 }] });
    await t.allocations.beforeWrite(dry, undefined, { dryRun: true });
    assert.equal(await t.ipTaken("10.96.0.11"), false);
    assert.equal(await t.portTaken(30011), false);
    await assert.rejects(t.allocations.beforeWrite(newService("dry2", { clusterIP: "10.96.0.10" }), undefined, { dryRun: true }), /already allocated/);
  });

  it("keeps an updated Service's address and ports, and releases those an update or a delete gives up", async () => {
    await using t = await setup();
    const old = await t.create(newService("web", { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }, { port: 443, protocol: "TCP" }] }));
    const [http, https] = old.spec.ports!.map((p) => p.nodePort!);
    // The user drops port 443 and sends no nodePort for 80.
    const updated: TestService = { metadata: old.metadata, spec: { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] } };
    await t.allocations.beforeWrite(updated, old, {});
    assert.equal(updated.spec.clusterIP, old.spec.clusterIP);
    assert.equal(updated.spec.ports![0]!.nodePort, http);
    await t.allocations.afterUpdate(updated, old);
    assert.equal(await t.portTaken(https), false);
    assert.equal(await t.portTaken(http), true);
    // To ClusterIP: the node ports go.
    const plain: TestService = { metadata: old.metadata, spec: { type: "ClusterIP", ports: [{ port: 80, protocol: "TCP", nodePort: http }] } };
    await t.allocations.beforeWrite(plain, updated, {});
    assert.equal(plain.spec.ports![0]!.nodePort, undefined);
    await t.allocations.afterUpdate(plain, updated);
    assert.equal(await t.portTaken(http), false);
    await t.allocations.afterDelete(plain);
    assert.equal(await t.ipTaken(old.spec.clusterIP!), false);
  });

  it("allocates nothing for a headless or an ExternalName Service", async () => {
    await using t = await setup();
    const headless = await t.create(newService("headless", { clusterIP: "None" }));
    assert.deepEqual(headless.spec.clusterIPs, ["None"]);
    const external = await t.create(newService("external", { type: "ExternalName", externalName: "example.test", clusterIP: "10.96.9.9" }));
    assert.equal(external.spec.clusterIP, undefined);
    assert.equal(await t.ipTaken("10.96.9.9"), false);
  });
});
