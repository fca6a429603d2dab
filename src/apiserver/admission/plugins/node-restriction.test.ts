import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Node, Pod } from "kubernetes-types/core/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { ResourceInfo } from "../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject } from "../admission.js";
import { NodeRestriction } from "./node-restriction.js";

const info = (resource: string, group = "", namespaced = true) => ({ group, version: "v1", resource, namespaced, kind: "", singular: "", subresources: [], verbs: [], storagePrefix: resource }) as ResourceInfo;
const nodeUser = (name: string) => ({ username: `system:node:${name}`, groups: ["system:nodes", "system:authenticated"] });

const pods: Record<string, Kube<Pod>> = {
  mine: { metadata: { namespace: "ns", name: "mine", uid: "uid-mine" }, spec: { nodeName: "a", containers: [] } },
  theirs: { metadata: { namespace: "ns", name: "theirs", uid: "uid-theirs" }, spec: { nodeName: "b", containers: [] } },
};
const nodes: Record<string, Node> = { a: { metadata: { name: "a", uid: "node-a-uid" } } };
const bare = (o: Partial<AdmissionObject>) => o as AdmissionObject; // a test object without metadata
const plugin = new NodeRestriction({ getPod: (_ns, n) => pods[n], getNode: (n) => nodes[n] });

function attrs(a: Partial<AdmissionAttributes>): AdmissionAttributes {
  return { info: info("pods"), operation: "CREATE", object: bare({}), namespace: "ns", name: "", subresource: "", user: nodeUser("a"), dryRun: false, addWarning: () => {}, ...a };
}

const mirror = (mutate: (p: Kube<Pod>) => void = () => {}): AdmissionObject => {
  const p: Kube<Pod> = {
    metadata: { name: "static-a", namespace: "ns", annotations: { "kubernetes.io/config.mirror": "hash" }, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "a", uid: "node-a-uid", controller: true }] },
    spec: { nodeName: "a", containers: [{ name: "c" }] },
  };
  mutate(p);
  return p;
};
const nodeObj = (labels: Record<string, string> = {}, taints?: unknown[]) => ({ metadata: { name: "a", labels }, spec: taints ? { taints } : {} });

async function outcome(a: Partial<AdmissionAttributes>): Promise<string> {
  try {
    await plugin.admit(attrs(a));
    return "ok";
  } catch (err) {
    return `${(err as { code: number }).code} ${(err as Error).message}`;
  }
}

describe("NodeRestriction", () => {
  const cases: [string, Partial<AdmissionAttributes>, string][] = [
    ["a mirror pod bound to itself", { object: mirror() }, "ok"],
    ["a pod that is not a mirror pod", { object: mirror((p) => { delete p.metadata.annotations; }) },
      `403 pods "static-a" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods`],
    ["a mirror pod for another node", { object: mirror((p) => { p.spec!.nodeName = "b"; }) }, `403 pods "static-a" is forbidden: node "a" can only create pods with spec.nodeName set to itself`],
    ["a mirror pod without owner", { object: mirror((p) => { p.metadata.ownerReferences = []; }) }, `403 pods "static-a" is forbidden: node "a" can only create pods with an owner reference set to itself`],
    ["a mirror pod owned by a non-controller reference", { object: mirror((p) => { p.metadata.ownerReferences![0]!.controller = false; }) }, `403 pods "static-a" is forbidden: node "a" can only create pods with a controller owner reference set to itself`],
    ["a mirror pod with the wrong node uid", { object: mirror((p) => { p.metadata.ownerReferences![0]!.uid = "x"; }) }, `403 pods "static-a" is forbidden: node a UID mismatch: expected x got node-a-uid`],
    ["a mirror pod with a secret", { object: mirror((p) => { p.spec!.volumes = [{ name: "s", secret: { secretName: "s" } }]; }) }, `403 pods "static-a" is forbidden: node "a" can not create pods that reference secrets`],
    ["a mirror pod with a configmap", { object: mirror((p) => { p.spec!.containers[0]!.envFrom = [{ configMapRef: { name: "c" } }]; }) }, `403 pods "static-a" is forbidden: node "a" can not create pods that reference configmaps`],
    ["a mirror pod with a service account", { object: mirror((p) => { p.spec!.serviceAccountName = "default"; }) }, `403 pods "static-a" is forbidden: node "a" can not create pods that reference a service account`],
    ["a mirror pod with a claim", { object: mirror((p) => { p.spec!.volumes = [{ name: "d", persistentVolumeClaim: { claimName: "d" } }]; }) }, `403 pods "static-a" is forbidden: node "a" can not create pods that reference persistentvolumeclaims`],
    ["deleting its pod", { operation: "DELETE", name: "mine", oldObject: pods.mine, object: pods.mine }, "ok"],
    ["deleting another node's pod", { operation: "DELETE", name: "theirs", oldObject: pods.theirs, object: pods.theirs }, `403 pods "theirs" is forbidden: node "a" can only delete pods with spec.nodeName set to itself`],
    ["updating a pod", { operation: "UPDATE", name: "mine", oldObject: pods.mine, object: pods.mine }, `403 pods "mine" is forbidden: unexpected operation "UPDATE", node "a" can only create and delete mirror pods`],
    ["its pod's status", { operation: "UPDATE", subresource: "status", name: "mine", oldObject: pods.mine, object: { ...pods.mine, status: { phase: "Running" } } }, "ok"],
    ["another node's pod's status", { operation: "UPDATE", subresource: "status", name: "theirs", oldObject: pods.theirs, object: pods.theirs }, `403 pods "theirs" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself`],
    ["labels through pod status", { operation: "UPDATE", subresource: "status", name: "mine", oldObject: pods.mine, object: { ...pods.mine, metadata: { ...pods.mine.metadata, labels: { x: "y" } } } }, `403 pods "mine" is forbidden: node "a" cannot update labels through pod status`],
    ["evicting its pod", { subresource: "eviction", name: "mine", object: { metadata: { name: "mine" } } }, "ok"],
    ["evicting another node's pod", { subresource: "eviction", name: "theirs", object: { metadata: { name: "theirs" } } }, `403 pods "theirs" is forbidden: node a can only evict pods with spec.nodeName set to itself`],
    ["evicting a pod that is not there", { subresource: "eviction", name: "gone", object: { metadata: { name: "gone" } } }, `404 pods "gone" not found`],
    ["another pod subresource", { subresource: "ephemeralcontainers", operation: "UPDATE", name: "mine", object: pods.mine }, `403 pods "mine" is forbidden: unexpected pod subresource "ephemeralcontainers", only 'status' and 'eviction' are allowed`],

    ["registering itself", { info: info("nodes", "", false), namespace: "", object: nodeObj({ "kubernetes.io/hostname": "a", "node.kubernetes.io/exclude-from-external-load-balancers": "", "example.com/x": "1" }, [{ key: "k", effect: "NoSchedule" }]) }, "ok"],
    ["registering another node", { info: info("nodes", "", false), namespace: "", object: { metadata: { name: "b" } } }, `403 nodes "b" is forbidden: node "a" is not allowed to modify node "b"`],
    ["registering with restricted labels", { info: info("nodes", "", false), namespace: "", object: nodeObj({ "node-restriction.kubernetes.io/pci": "1", "node-role.kubernetes.io/control-plane": "" }) },
      `403 nodes "a" is forbidden: node "a" is not allowed to set the following labels: node-restriction.kubernetes.io/pci, node-role.kubernetes.io/control-plane`],
    ["updating another node", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", name: "b", object: { metadata: { name: "b" } }, oldObject: { metadata: { name: "b" } } }, `403 nodes "b" is forbidden: node "a" is not allowed to modify node "b"`],
    ["updating its status", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", subresource: "status", name: "a", object: { ...nodeObj({}, [{ key: "k", effect: "NoSchedule" }]), status: { phase: "Running" } }, oldObject: nodeObj({}, [{ key: "k", effect: "NoSchedule" }]) }, "ok"],
    ["removing its taints", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", name: "a", object: nodeObj(), oldObject: nodeObj({}, [{ key: "k", effect: "NoSchedule" }]) }, `403 nodes "a" is forbidden: node "a" is not allowed to modify taints`],
    ["a label of the kubelet's namespaces", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", name: "a", object: nodeObj({ "kubelet.kubernetes.io/x": "1", "topology.kubernetes.io/zone": "z" }), oldObject: nodeObj() }, "ok"],
    ["a restricted label on update", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", name: "a", object: nodeObj({ "x.node-restriction.kubernetes.io/y": "1" }), oldObject: nodeObj() }, `403 nodes "a" is forbidden: is not allowed to modify labels: x.node-restriction.kubernetes.io/y`],
    ["removing a kubernetes.io label", { info: info("nodes", "", false), namespace: "", operation: "UPDATE", name: "a", object: nodeObj(), oldObject: nodeObj({ "node-role.kubernetes.io/worker": "" }) }, `403 nodes "a" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker`],

    ["creating its lease", { info: info("leases", "coordination.k8s.io"), namespace: "kube-node-lease", object: { metadata: { name: "a" } } }, "ok"],
    ["creating another node's lease", { info: info("leases", "coordination.k8s.io"), namespace: "kube-node-lease", object: { metadata: { name: "b" } } }, `403 leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node`],
    ["a lease elsewhere", { info: info("leases", "coordination.k8s.io"), namespace: "default", object: { metadata: { name: "a" } } }, `403 leases.coordination.k8s.io "a" is forbidden: can only access leases in the "kube-node-lease" system namespace`],
    ["updating another node's lease", { info: info("leases", "coordination.k8s.io"), namespace: "kube-node-lease", operation: "UPDATE", name: "b", object: { metadata: { name: "b" } } }, `403 leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node`],

    ["a token bound to its pod", { info: info("serviceaccounts"), subresource: "token", name: "default", object: bare({ spec: { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "mine", uid: "uid-mine" } } }) }, "ok"],
    ["a token without binding", { info: info("serviceaccounts"), subresource: "token", name: "default", object: bare({ spec: {} }) }, `403 serviceaccounts "default" is forbidden: node requested token not bound to a pod`],
    ["a token bound without uid", { info: info("serviceaccounts"), subresource: "token", name: "default", object: bare({ spec: { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "mine" } } }) }, `403 serviceaccounts "default" is forbidden: node requested token with a pod binding without a uid`],
    ["a token bound to a recreated pod", { info: info("serviceaccounts"), subresource: "token", name: "default", object: bare({ spec: { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "mine", uid: "old" } } }) },
      `403 serviceaccounts "default" is forbidden: the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated`],
    ["a token bound to another node's pod", { info: info("serviceaccounts"), subresource: "token", name: "default", object: bare({ spec: { boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "theirs", uid: "uid-theirs" } } }) }, `403 serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node`],

    ["a claim's status", { info: info("persistentvolumeclaims"), operation: "UPDATE", subresource: "status", name: "d", oldObject: { metadata: { name: "d", resourceVersion: "1" }, spec: {}, status: { phase: "Bound" } }, object: { metadata: { name: "d", resourceVersion: "2" }, spec: {}, status: { phase: "Bound", capacity: { storage: "2Gi" } } } }, "ok"],
    ["a claim's phase through status", { info: info("persistentvolumeclaims"), operation: "UPDATE", subresource: "status", name: "d", oldObject: { metadata: { name: "d" }, status: { phase: "Bound" } }, object: { metadata: { name: "d" }, status: { phase: "Lost" } } },
      `403 persistentvolumeclaims "d" is forbidden: node "a" is not allowed to update fields other than status.capacity and status.conditions: status changed`],
    ["a claim itself", { info: info("persistentvolumeclaims"), operation: "UPDATE", name: "d", object: { metadata: { name: "d" } } }, `403 persistentvolumeclaims "d" is forbidden: may only update PVC status`],
    ["anything else", { info: info("configmaps"), object: { metadata: { name: "x" } } }, "ok"],
  ];
  for (const [what, a, want] of cases) {
    it(what, async () => assert.equal(await outcome(a), want));
  }

  it("lets other users be", async () => {
    assert.equal(await outcome({ user: { username: "admin", groups: ["system:masters"] }, object: { metadata: { name: "p" }, spec: {} } }), "ok");
    assert.equal(await outcome({ user: { username: "system:node:a", groups: [] }, object: { metadata: { name: "p" }, spec: {} } }), "ok");
  });

  it("refuses a node it cannot name", async () => {
    assert.equal(await outcome({ user: nodeUser(""), object: { metadata: { name: "p" } } }), `403 pods "p" is forbidden: could not determine node from user "system:node:"`);
  });
});
