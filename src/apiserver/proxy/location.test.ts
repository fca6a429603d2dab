import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Endpoints, Node, Pod, Service } from "kubernetes-types/core/v1.js";
import { notFound } from "../../api/errors.js";
import { ProxyLocations, splitSchemeNamePort, type ProxyObjects } from "./location.js";

function newPod(name: string, o: { ip?: string; node?: string; ports?: { name?: string; containerPort: number }[] } = {}): Pod {
  return {
    metadata: { name, namespace: "ns" },
    spec: { nodeName: o.node ?? "n1", containers: [{ name: "c", ports: o.ports }] },
    status: o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {},
  };
}

function newNode(name: string, ip: string, kubeletPort?: number): Node {
  return { metadata: { name }, status: { addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }], daemonEndpoints: kubeletPort ? { kubeletEndpoint: { Port: kubeletPort } } : {} } };
}

function fakeObjects(o: { pods?: Pod[]; services?: Service[]; endpoints?: Endpoints[]; nodes?: Node[] }): ProxyObjects {
  const find = <T extends { metadata?: { name?: string } }>(list: T[] | undefined, resource: string, name: string): Promise<T> => {
    const found = list?.find((x) => x.metadata?.name === name);
    return found ? Promise.resolve(structuredClone(found)) : Promise.reject(notFound(resource, "", name));
  };
  return {
    pod: (_ns, name) => find(o.pods, "pods", name),
    service: (_ns, name) => find(o.services, "services", name),
    endpoints: (_ns, name) => find(o.endpoints, "endpoints", name),
    node: (name) => find(o.nodes ?? [newNode("n1", "10.244.0.1", 10250)], "nodes", name),
  };
}

const rejects = (p: Promise<unknown>, code: number, message: string | RegExp) =>
  assert.rejects(p, (e: { code?: number; message?: string }) => e.code === code && (typeof message === "string" ? e.message === message : message.test(e.message ?? "")));

describe("splitSchemeNamePort", () => {
  const cases: [string, ReturnType<typeof splitSchemeNamePort> | undefined][] = [
    ["web", { scheme: "", name: "web", port: "" }],
    ["web:8080", { scheme: "", name: "web", port: "8080" }],
    ["web:http", { scheme: "", name: "web", port: "http" }],
    ["https:web:443", { scheme: "https", name: "web", port: "443" }],
    ["http:web:", { scheme: "http", name: "web", port: "" }],
    ["ftp:web:21", undefined],
    [":80", undefined],
    ["a:b:c:d", undefined],
  ];
  for (const [id, want] of cases) {
    it(id, () => {
      if (want) assert.deepEqual(splitSchemeNamePort(id, "pod"), want);
      else assert.throws(() => splitSchemeNamePort(id, "pod"), (e: { code?: number; message?: string }) => e.code === 400 && e.message === `invalid pod request "${id}"`);
    });
  }
});

describe("pod locations", () => {
  const pods = [
    newPod("web", { ip: "10.244.0.7", ports: [{ name: "http", containerPort: 8080 }, { name: "metrics", containerPort: 9090 }] }),
    newPod("bare", { ip: "10.244.0.8" }),
    newPod("pending"),
    newPod("local", { ip: "127.0.0.1", ports: [{ name: "http", containerPort: 18080 }] }),
    newPod("elsewhere", { ip: "127.0.0.1", node: "n2", ports: [{ containerPort: 18080 }] }),
    newPod("metadata", { ip: "169.254.169.254" }),
    newPod("simulated", { ip: "10.244.3.4", node: "sim-1" }),
  ];
  const nodes = [newNode("n1", "127.0.0.1", 10250), newNode("n2", "127.0.0.1", 10251), newNode("sim-1", "10.244.3.1")];
  const locations = new ProxyLocations(fakeObjects({ pods, nodes }));
  locations.loopbackNode = "n1";

  it("goes to the pod's IP at the port asked, by number or name", async () => {
    assert.deepEqual(await locations.pod("ns", "web:9090"), { scheme: "http", host: "10.244.0.7", port: 9090, kubelet: false });
    assert.deepEqual(await locations.pod("ns", "https:web:metrics"), { scheme: "https", host: "10.244.0.7", port: 9090, kubelet: false });
  });
  it("takes the first declared port, or none (the scheme's default)", async () => {
    assert.equal((await locations.pod("ns", "web")).port, 8080);
    assert.equal((await locations.pod("ns", "bare")).port, undefined);
  });
  it("answers 404 for a missing pod and 503 for an unknown port name", async () => {
    await rejects(locations.pod("ns", "nope:80"), 404, 'pods "nope" not found');
    await rejects(locations.pod("ns", "web:grpc"), 503, 'no container port named "grpc" found for pod "web"');
  });
  it("refuses addresses that are not global unicast, as upstream", async () => {
    await rejects(locations.pod("ns", "pending:80"), 400, "address not allowed");
    await rejects(locations.pod("ns", "metadata:80"), 400, "address not allowed");
    await rejects(locations.pod("ns", "elsewhere:18080"), 400, "address not allowed");
  });
  it("reaches loopback only on the server's own node, at a port the pod declares", async () => {
    assert.deepEqual(await locations.pod("ns", "local:http"), { scheme: "http", host: "127.0.0.1", port: 18080, kubelet: false });
    await rejects(locations.pod("ns", "local:2379"), 400, "address not allowed");
    const strict = new ProxyLocations(fakeObjects({ pods, nodes }));
    await rejects(strict.pod("ns", "local:18080"), 400, "address not allowed");
  });
  it("refuses a pod on a simulated node, whose address is made up", async () => {
    await rejects(locations.pod("ns", "simulated:80"), 503, /simulated nodes run nothing/);
  });
});

describe("service locations", () => {
  const pods = [newPod("a", { ip: "10.244.0.10" }), newPod("b", { ip: "10.244.0.11" }), newPod("moved", { ip: "10.244.0.99" })];
  const ref = (name: string) => ({ kind: "Pod", namespace: "ns", name });
  const services: Service[] = [
    { metadata: { name: "web" }, spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "tls", port: 443, targetPort: 8443 }] } },
    { metadata: { name: "empty" }, spec: { ports: [{ port: 80 }] } },
    { metadata: { name: "stale" }, spec: { ports: [{ port: 80 }] } },
  ];
  const endpoints: Endpoints[] = [
    { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "10.244.0.10", targetRef: ref("a") }, { ip: "10.244.0.11", targetRef: ref("b") }], ports: [{ name: "http", port: 8080 }, { name: "tls", port: 8443 }] }] },
    { metadata: { name: "empty" }, subsets: [] },
    // An address that is not its pod's IP any more, and one without a pod: never dialled.
    { metadata: { name: "stale" }, subsets: [{ addresses: [{ ip: "10.244.0.50", targetRef: ref("moved") }, { ip: "10.0.0.1" }], ports: [{ port: 80 }] }] },
  ];
  const objects = fakeObjects({ pods, services, endpoints });

  it("goes to an endpoint of the port, named or numbered", async () => {
    const first = new ProxyLocations(objects, () => 0);
    assert.deepEqual(await first.service("ns", "web:http"), { scheme: "http", host: "10.244.0.10", port: 8080, kubelet: false });
    assert.deepEqual(await first.service("ns", "https:web:443"), { scheme: "https", host: "10.244.0.10", port: 8443, kubelet: false });
    const last = new ProxyLocations(objects, () => 0.99);
    assert.equal((await last.service("ns", "web:80")).host, "10.244.0.11");
  });
  it("answers as upstream when nothing serves", async () => {
    const l = new ProxyLocations(objects);
    await rejects(l.service("ns", "web:81"), 503, 'no service port 81 found for service "web"');
    await rejects(l.service("ns", "empty:80"), 503, 'no endpoints available for service "empty"');
    await rejects(l.service("ns", "web"), 503, 'no endpoints available for service "web"');
    await rejects(l.service("ns", "stale"), 503, 'no endpoints available for service "stale"');
    await rejects(l.service("ns", "nope:http"), 404, 'endpoints "nope" not found');
    await rejects(l.service("ns", "nope:80"), 404, 'services "nope" not found');
  });
});

describe("node locations", () => {
  const nodes = [newNode("n1", "10.244.0.1", 10250), newNode("local", "127.0.0.1", 10250), newNode("other", "127.0.0.1", 10250), newNode("sim-1", "10.244.3.1")];
  const locations = new ProxyLocations(fakeObjects({ nodes }));
  locations.loopbackNode = "local";

  it("goes to the kubelet by default and at its port, elsewhere at the port asked", async () => {
    assert.deepEqual(await locations.node("n1"), { scheme: "https", host: "10.244.0.1", port: 10250, kubelet: true });
    assert.deepEqual(await locations.node("http:n1:10250"), { scheme: "https", host: "10.244.0.1", port: 10250, kubelet: true });
    assert.deepEqual(await locations.node("n1:8080"), { scheme: "http", host: "10.244.0.1", port: 8080, kubelet: false });
  });
  it("reaches a loopback node only at its kubelet, and only the server's own", async () => {
    assert.deepEqual(await locations.node("local"), { scheme: "https", host: "127.0.0.1", port: 10250, kubelet: true });
    await rejects(locations.node("local:2379"), 400, "address not allowed");
    await rejects(locations.node("other"), 400, "address not allowed");
  });
  it("refuses nodes without a kubelet, and missing ones", async () => {
    await rejects(locations.node("sim-1"), 503, /no kubelet serves node "sim-1"/);
    await rejects(locations.node("nope"), 404, 'nodes "nope" not found');
  });
});
