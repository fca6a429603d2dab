import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceTable } from "./table.js";

describe("service table", () => {
  const meta = { name: "s", creationTimestamp: new Date().toISOString() };
  it("prints services with their ports and node ports", () => {
    const row = serviceTable.row({ metadata: meta, spec: { type: "NodePort", clusterIP: "10.96.0.9", ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }], selector: { app: "s" } } }, Date.now());
    assert.deepEqual([row[1], row[2], row[3], row[4], row[6]], ["NodePort", "10.96.0.9", "<none>", "80:30080/TCP", "app=s"]);
  });
  it("prints a load balancer's address, pending until it has one, and an external name", () => {
    const lb = { metadata: meta, spec: { type: "LoadBalancer", ports: [{ port: 443 }] } };
    assert.equal(serviceTable.row(lb, Date.now())[3], "<pending>");
    assert.equal(serviceTable.row({ ...lb, status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } } }, Date.now())[3], "192.0.2.1");
    assert.equal(serviceTable.row({ metadata: meta, spec: { type: "ExternalName", externalName: "db.example.com" } }, Date.now())[3], "db.example.com");
  });
});
