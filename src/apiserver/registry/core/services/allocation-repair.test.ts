import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Service } from "kubernetes-types/core/v1.js";
import { SqliteStore } from "../../../../storage/index.js";
import { ipToNumber } from "../../allocator.js";
import { AllocationRepair, REPAIRS_BEFORE_LEAK_CLEANUP, type RepairEvent } from "./allocation-repair.js";
import { ServiceAllocations } from "./service-allocations.js";

function newService(name: string, spec: Service["spec"]): Service {
  return { metadata: { name, namespace: "default", uid: `uid-${name}` }, spec };
}

/** A repair over a real store, with the Services it sees set by the test. */
async function setup() {
  const store = new SqliteStore(":memory:");
  const allocations = new ServiceAllocations({ store });
  const services: Service[] = [];
  const events: RepairEvent[] = [];
  const repair = new AllocationRepair({ allocations, listServices: async () => services, recordEvent: (e) => events.push(e) });
  await repair.runOnce();
  return {
    store, allocations, services, events, repair,
    async ips() { return [...(await allocations.clusterIPs.read())!.allocator.values()]; },
    async ports() { return [...(await allocations.nodePorts.read())!.allocator.values()]; },
    async [Symbol.asyncDispose]() { await store.close(); },
  };
}

const ip = (text: string) => ipToNumber(text)!;
const reasons = (events: RepairEvent[]) => events.map((e) => `${e.service.metadata!.name}:${e.reason}`);

describe("AllocationRepair", () => {
  it("creates empty records on its first run, so that allocation can start", async () => {
    await using t = await setup();
    assert.deepEqual(await t.ips(), []);
    assert.deepEqual(await t.ports(), []);
    assert.ok((await t.allocations.clusterIPs.allocateNext()) > 0);
  });

  it("marks what Services hold but the records lack, with a Warning that it repairs", async () => {
    await using t = await setup();
    t.services.push(newService("web", { type: "NodePort", clusterIP: "10.96.5.5", ports: [{ port: 80, nodePort: 30080 }] }));
    await t.repair.runOnce();
    assert.deepEqual(await t.ips(), [ip("10.96.5.5")]);
    assert.deepEqual(await t.ports(), [30080]);
    assert.deepEqual(reasons(t.events), ["web:ClusterIPNotAllocated", "web:PortNotAllocated"]);
    assert.equal(t.events[0]!.message, "Cluster IP [IPv4]:10.96.5.5 is not allocated; repairing");
    assert.equal(t.events[0]!.component, "ipallocator-repair-controller");
    assert.equal(t.events[1]!.message, "Port 30080 is not allocated; repairing");
    assert.equal(t.events[1]!.component, "portallocator-repair-controller");
  });

  it("warns about an address outside the range and one held twice, keeping the first holder's", async () => {
    await using t = await setup();
    t.services.push(
      newService("a", { clusterIP: "10.96.0.20", ports: [{ port: 80 }] }),
      newService("b", { clusterIP: "10.96.0.20", ports: [{ port: 80 }] }),
      newService("c", { clusterIP: "192.168.0.1", ports: [{ port: 80 }] }),
      newService("d", { type: "NodePort", clusterIP: "10.96.0.21", ports: [{ port: 80, nodePort: 30001 }] }),
      newService("e", { type: "NodePort", clusterIP: "10.96.0.22", ports: [{ port: 80, nodePort: 30001 }, { port: 81, nodePort: 40000 }] }),
      newService("headless", { clusterIP: "None", ports: [{ port: 80 }] }),
      newService("external", { type: "ExternalName", externalName: "example.test" }),
    );
    await t.allocations.clusterIPs.allocate(ip("10.96.0.20"));
    await t.repair.runOnce();
    const warnings = reasons(t.events).filter((r) => !r.endsWith("NotAllocated"));
    assert.deepEqual(warnings, ["b:ClusterIPAlreadyAllocated", "c:ClusterIPOutOfRange", "e:PortAlreadyAllocated", "e:PortOutOfRange"]);
    const byReason = new Map(t.events.map((e) => [e.reason, e.message]));
    assert.equal(byReason.get("ClusterIPAlreadyAllocated"), "Cluster IP [IPv4]:10.96.0.20 was assigned to multiple services; please recreate service");
    assert.equal(byReason.get("ClusterIPOutOfRange"), "Cluster IP [IPv4]:192.168.0.1 is not within the service CIDR 10.96.0.0/16; please recreate service");
    assert.equal(byReason.get("PortAlreadyAllocated"), "Port 30001 was assigned to multiple services; please recreate service");
    assert.equal(byReason.get("PortOutOfRange"), "Port 40000 is not within the port range 30000-32767; please recreate service");
    assert.deepEqual(await t.ips(), [ip("10.96.0.20"), ip("10.96.0.21"), ip("10.96.0.22")]);
    assert.deepEqual(await t.ports(), [30001]);
  });

  it(`gives a leaked address back after ${REPAIRS_BEFORE_LEAK_CLEANUP} runs, and keeps one a Service claims in time`, async () => {
    await using t = await setup();
    await t.allocations.clusterIPs.allocate(ip("10.96.1.1")); // a create that crashed before its write
    await t.allocations.clusterIPs.allocate(ip("10.96.1.2")); // a create still on its way
    await t.allocations.nodePorts.allocate(30500);
    for (let run = 1; run < REPAIRS_BEFORE_LEAK_CLEANUP; run++) {
      await t.repair.runOnce();
      assert.deepEqual(await t.ips(), [ip("10.96.1.1"), ip("10.96.1.2")], `still kept after run ${run}`);
    }
    t.services.push(newService("late", { clusterIP: "10.96.1.2", ports: [{ port: 80 }] }));
    await t.repair.runOnce();
    assert.deepEqual(await t.ips(), [ip("10.96.1.2")]);
    assert.deepEqual(await t.ports(), []);
    assert.deepEqual(t.events, [], "a leak is logged, not an Event");
  });

  it("starts a run over when an allocation lands between its read and its write, and tells nothing of the lost one", async () => {
    await using t = await setup();
    const store = t.store;
    let raced = false;
    const racing = new AllocationRepair({
      allocations: t.allocations,
      listServices: async () => {
        // Another server takes an address after the repair read the record, and writes its Service.
        if (!raced) {
          raced = true;
          await t.allocations.clusterIPs.allocate(ip("10.96.2.2"));
          t.services.push(newService("racer", { clusterIP: "10.96.2.2", ports: [{ port: 80 }] }));
        }
        return t.services;
      },
      recordEvent: (e) => t.events.push(e),
    });
    const before = await store.currentRevision();
    await racing.runOnce();
    assert.ok((await store.currentRevision()) > before);
    assert.deepEqual(await t.ips(), [ip("10.96.2.2")]);
    assert.deepEqual(t.events, []);
  });
});
