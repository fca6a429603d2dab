import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { endpointSubsets, podPorts } from "./endpoints-controller.js";
import type { Kube } from "../controller.js";
import type { ContainerPort, Pod, Service, ServicePort } from "kubernetes-types/core/v1.js";

const svc = (ports: ServicePort[]): Service => ({ metadata: { name: "web", namespace: "default" }, spec: { selector: { app: "web" }, ports } });
const pod = (name: string, ip: string, ports: ContainerPort[]): Kube<Pod> => ({
  metadata: { name, namespace: "default", uid: `uid-${name}` }, spec: { nodeName: "n", containers: [{ name: "c", ports }] }, status: { podIP: ip },
});

describe("endpoint ports", () => {
  it("resolves a named targetPort in each pod, by name and protocol, and leaves out a port a pod lacks", () => {
    const s = svc([{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }, { name: "dns", port: 53, targetPort: "dns", protocol: "UDP" }, { name: "plain", port: 90 }]);
    assert.deepEqual(podPorts(s, pod("a", "10.0.0.1", [{ name: "web", containerPort: 8080 }, { name: "dns", containerPort: 5353, protocol: "TCP" }])), [
      { name: "http", port: 8080, protocol: "TCP" },
      { name: "plain", port: 90, protocol: "TCP" },
    ]);
    assert.deepEqual(podPorts(svc([{ port: 80, targetPort: 0 }]), pod("a", "10.0.0.1", [])), [{ port: 80, protocol: "TCP" }]);
  });

  it("puts pods that serve a port at different numbers in separate subsets, and ready pods apart from the others", () => {
    const s = svc([{ name: "http", port: 80, targetPort: "web" }]);
    const a = pod("a", "10.0.0.1", [{ name: "web", containerPort: 8080 }]);
    const b = pod("b", "10.0.0.2", [{ name: "web", containerPort: 8081 }]);
    const c = pod("c", "10.0.0.3", [{ name: "web", containerPort: 8080 }]);
    const none = pod("d", "10.0.0.4", []);
    const pods = [a, b, c, none];
    const subsets = endpointSubsets("default", pods, [a, b], new Map(pods.map((p) => [p, podPorts(s, p)])), true);
    const ips = (l: { ip: string }[] | undefined) => l?.map((x) => x.ip);
    assert.deepEqual(subsets.map((x) => ({ ready: ips(x.addresses), notReady: ips(x.notReadyAddresses), ports: x.ports })), [
      { ready: ["10.0.0.1"], notReady: ["10.0.0.3"], ports: [{ name: "http", port: 8080, protocol: "TCP" }] },
      { ready: ["10.0.0.2"], notReady: undefined, ports: [{ name: "http", port: 8081, protocol: "TCP" }] },
    ]);
  });
});
