import assert from "node:assert/strict";
import { it } from "node:test";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../client/index.js";
import { admitPod } from "./admission.js";

const node = { metadata: { name: "n1" }, status: { allocatable: { cpu: "2", memory: "1Gi", pods: "110" } } } as Kube<Node>;
const pod = (name: string, ports: { hostPort?: number; hostIP?: string; protocol?: string }[]) =>
  ({ metadata: { name, uid: name }, spec: { nodeName: "n1", containers: [{ name: "c", image: "i", ports: ports.map((p) => ({ containerPort: 80, ...p })) }] } }) as Kube<Pod>;

it("rejects a pod whose host port a running pod holds, in upstream's words, and admits the rest", () => {
  const holder = pod("holder", [{ hostPort: 21017 }]);
  assert.deepEqual(admitPod(pod("late", [{ hostPort: 21017 }]), [holder], node),
    { reason: "NodePorts", message: "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" });
  assert.equal(admitPod(pod("udp", [{ hostPort: 21017, protocol: "UDP" }]), [holder], node), undefined, "another protocol");
  assert.equal(admitPod(pod("other", [{ hostPort: 21018 }]), [holder], node), undefined);
  assert.equal(admitPod(pod("none", [{}]), [holder], node), undefined);
  const local = pod("local", [{ hostPort: 54321, hostIP: "127.0.0.1" }]);
  assert.equal(admitPod(pod("node-ip", [{ hostPort: 54321, hostIP: "10.0.0.1" }]), [local], node), undefined, "another address");
  assert.ok(admitPod(pod("any", [{ hostPort: 54321 }]), [local], node), "0.0.0.0 overlaps every address");
});
