import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PersistentVolume, Pod } from "kubernetes-types/core/v1.js";
import type { Kube, KubeObject } from "../../../api/kube-object.js";
import type { Attributes } from "../authorizer.js";
import { NodeGraph } from "./graph.js";
import { NodeAuthorizer } from "./node-authorizer.js";

const nodeUser = (name: string) => ({ username: `system:node:${name}`, groups: ["system:nodes", "system:authenticated"] });

function attrs(a: Partial<Attributes> & { user?: Attributes["user"] }): Attributes {
  return { user: nodeUser("a"), verb: "get", resourceRequest: true, path: "", apiGroup: "", apiVersion: "v1", resource: "", subresource: "", namespace: "", name: "", ...a };
}

function pod(name: string, node: string | undefined, spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod {
  return { metadata: { namespace: "ns", name }, spec: { nodeName: node, containers: [{ name: "c" }], ...spec } };
}

const webPod = pod("web", "a", {
  serviceAccountName: "web-sa",
  imagePullSecrets: [{ name: "pull" }],
  initContainers: [{ name: "i", env: [{ name: "X", valueFrom: { secretKeyRef: { name: "init-env", key: "k" } } }] }],
  containers: [{
    name: "c",
    env: [{ name: "Y", valueFrom: { configMapKeyRef: { name: "env-cm", key: "k" } } }],
    envFrom: [{ secretRef: { name: "envfrom-secret" } }, { configMapRef: { name: "envfrom-cm" } }],
  }],
  volumes: [
    { name: "s", secret: { secretName: "vol-secret" } },
    { name: "c", configMap: { name: "vol-cm" } },
    { name: "p", projected: { sources: [{ secret: { name: "proj-secret" } }, { configMap: { name: "kube-root-ca.crt" } }] } },
    { name: "data", persistentVolumeClaim: { claimName: "data" } },
    { name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } },
  ],
});

const pv: PersistentVolume = {
  metadata: { name: "pv-data" },
  spec: {
    claimRef: { namespace: "ns", name: "data" },
    csi: { driver: "d", volumeHandle: "h", nodePublishSecretRef: { name: "csi-node", namespace: "storage" }, controllerPublishSecretRef: { name: "csi-ctrl", namespace: "storage" } },
  },
};

function setup() {
  const graph = new NodeGraph();
  graph.setPod(webPod);
  graph.setPod(pod("other", "b", { volumes: [{ name: "s", secret: { secretName: "b-secret" } }] }));
  graph.setPod(pod("pending", undefined, { volumes: [{ name: "s", secret: { secretName: "pending-secret" } }] }));
  graph.setPersistentVolume(pv);
  graph.setPersistentVolume({ metadata: { name: "pv-unbound" }, spec: {} });
  return { graph, authz: new NodeAuthorizer(graph) };
}

const relationless = (node = "a") => ({ decision: "NoOpinion", reason: `no relationship found between node '${node}' and this object` });
const allowed = { decision: "Allow", reason: "" };

describe("node authorizer", () => {
  const cases: [string, Partial<Attributes>, { decision: string; reason?: string }][] = [
    ["a secret volume", { resource: "secrets", namespace: "ns", name: "vol-secret" }, allowed],
    ["an image pull secret", { resource: "secrets", namespace: "ns", name: "pull" }, allowed],
    ["an init container's env secret", { resource: "secrets", namespace: "ns", name: "init-env" }, allowed],
    ["an envFrom secret", { resource: "secrets", namespace: "ns", name: "envfrom-secret" }, allowed],
    ["a projected secret", { resource: "secrets", namespace: "ns", name: "proj-secret" }, allowed],
    ["a watch of one secret", { verb: "watch", resource: "secrets", namespace: "ns", name: "vol-secret" }, allowed],
    ["an env configmap", { resource: "configmaps", namespace: "ns", name: "env-cm" }, allowed],
    ["an envFrom configmap", { resource: "configmaps", namespace: "ns", name: "envfrom-cm" }, allowed],
    ["a configmap volume", { resource: "configmaps", namespace: "ns", name: "vol-cm" }, allowed],
    ["a projected configmap", { resource: "configmaps", namespace: "ns", name: "kube-root-ca.crt" }, allowed],
    ["its pod's claim", { resource: "persistentvolumeclaims", namespace: "ns", name: "data" }, allowed],
    ["an ephemeral volume's claim", { resource: "persistentvolumeclaims", namespace: "ns", name: "web-scratch" }, allowed],
    ["the volume bound to its claim", { resource: "persistentvolumes", name: "pv-data" }, allowed],
    ["the PV's node secret", { resource: "secrets", namespace: "storage", name: "csi-node" }, allowed],
    ["its claim's status update", { verb: "update", resource: "persistentvolumeclaims", subresource: "status", namespace: "ns", name: "data" }, allowed],
    ["a token for its pod's service account", { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "ns", name: "web-sa" }, allowed],
    ["its lease", { verb: "update", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "a" }, allowed],
    ["a lease create (name checked in admission)", { verb: "create", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease" }, allowed],
    ["a static rule: list pods", { verb: "list", resource: "pods" }, allowed],
    ["a static rule: update node status", { verb: "patch", resource: "nodes", subresource: "status", name: "a" }, allowed],
    ["a static rule: create a CSR", { verb: "create", apiGroup: "certificates.k8s.io", resource: "certificatesigningrequests" }, allowed],

    ["another node's secret", { resource: "secrets", namespace: "ns", name: "b-secret" }, relationless()],
    ["an unscheduled pod's secret", { resource: "secrets", namespace: "ns", name: "pending-secret" }, relationless()],
    ["a secret of the same name elsewhere", { resource: "secrets", namespace: "other", name: "vol-secret" }, relationless()],
    ["the PV's controller secret", { resource: "secrets", namespace: "storage", name: "csi-ctrl" }, relationless()],
    ["an unbound PV", { resource: "persistentvolumes", name: "pv-unbound" }, relationless()],
    ["a token for another service account", { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "ns", name: "default" }, relationless()],
    ["a list of secrets", { verb: "list", resource: "secrets", namespace: "ns" }, { decision: "NoOpinion", reason: "No Object name found" }],
    ["secrets of all namespaces", { verb: "list", resource: "secrets" }, { decision: "NoOpinion", reason: "can only read namespaced object of this type" }],
    ["a secret update", { verb: "update", resource: "secrets", namespace: "ns", name: "vol-secret" }, { decision: "NoOpinion", reason: "can only read resources of this type" }],
    ["a list of claims", { verb: "list", resource: "persistentvolumeclaims", namespace: "ns" }, { decision: "NoOpinion", reason: "can only get individual resources of this type" }],
    ["a claim's status get", { verb: "get", resource: "persistentvolumeclaims", subresource: "status", namespace: "ns", name: "data" }, { decision: "NoOpinion", reason: "can only get/update/patch this type" }],
    ["a service account get", { verb: "get", resource: "serviceaccounts", namespace: "ns", name: "web-sa" }, { decision: "NoOpinion", reason: "can only create tokens for individual service accounts" }],
    ["another node's lease", { verb: "update", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", name: "b" }, { decision: "NoOpinion", reason: "can only access node lease with the same name as the requesting node" }],
    ["a lease elsewhere", { verb: "get", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "kube-system", name: "a" }, { decision: "NoOpinion", reason: `can only access leases in the "kube-node-lease" system namespace` }],
    ["a list of leases", { verb: "list", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease" }, { decision: "NoOpinion", reason: "can only get, create, update, patch, or delete a node lease" }],
    ["what no rule gives: delete a deployment", { verb: "delete", apiGroup: "apps", resource: "deployments", namespace: "ns", name: "x" }, { decision: "NoOpinion", reason: "" }],
    ["what no rule gives: update a pod", { verb: "update", resource: "pods", namespace: "ns", name: "web" }, { decision: "NoOpinion", reason: "" }],
  ];
  for (const [what, a, want] of cases) {
    it(what, () => {
      const { authz } = setup();
      assert.deepEqual(authz.authorize(attrs(a)), { reason: "", ...want });
    });
  }

  it("has no opinion on users that are not nodes", () => {
    const { authz } = setup();
    for (const user of [{ username: "system:node:a", groups: ["system:authenticated"] }, { username: "alice", groups: ["system:nodes"] }]) {
      assert.deepEqual(authz.authorize(attrs({ user, resource: "secrets", namespace: "ns", name: "vol-secret" })), { decision: "NoOpinion", reason: "" });
    }
  });

  it("names the user when the node name is empty", () => {
    const { authz } = setup();
    assert.deepEqual(authz.authorize(attrs({ user: nodeUser(""), resource: "secrets", namespace: "ns", name: "vol-secret" })),
      { decision: "NoOpinion", reason: `unknown node for user "system:node:"` });
  });

  it("follows pods as they move, change and go", () => {
    const { graph, authz } = setup();
    const get = (node: string, name: string) => authz.authorize(attrs({ user: nodeUser(node), resource: "secrets", namespace: "ns", name })).decision;
    graph.setPod(pod("pending", "b", { volumes: [{ name: "s", secret: { secretName: "pending-secret" } }] }));
    assert.equal(get("b", "pending-secret"), "Allow");
    graph.setPod(pod("pending", "b", { volumes: [{ name: "s", secret: { secretName: "renamed" } }] }));
    assert.equal(get("b", "pending-secret"), "NoOpinion");
    assert.equal(get("b", "renamed"), "Allow");
    // Two pods share a secret: it stays reachable until the last goes.
    graph.setPod(pod("twin", "a", { volumes: [{ name: "s", secret: { secretName: "vol-secret" } }] }));
    graph.deletePod("ns", "web");
    assert.equal(get("a", "vol-secret"), "Allow");
    assert.equal(get("a", "pull"), "NoOpinion");
    graph.deletePod("ns", "twin");
    assert.equal(get("a", "vol-secret"), "NoOpinion");
    // A PV unbound loses its path.
    graph.setPod(webPod);
    assert.equal(authz.authorize(attrs({ resource: "persistentvolumes", name: "pv-data" })).decision, "Allow");
    graph.setPersistentVolume({ metadata: { name: "pv-data" }, spec: {} });
    assert.equal(authz.authorize(attrs({ resource: "persistentvolumes", name: "pv-data" })).decision, "NoOpinion");
    assert.equal(authz.authorize(attrs({ resource: "secrets", namespace: "storage", name: "csi-node" })).decision, "NoOpinion");
  });
});

describe("node authorizer graph from watch caches", () => {
  it("follows ADDED, MODIFIED and DELETED events of pods and PVs", async () => {
    const { followNodeGraph } = await import("./graph-populator.js");
    type H = (type: "ADDED" | "MODIFIED" | "DELETED", obj: KubeObject, old: undefined) => void;
    const handlers: Record<string, H> = {};
    const source = (k: string) => ({ onChange: (h: H) => { handlers[k] = h; } });
    const graph = new NodeGraph();
    followNodeGraph(graph, { pods: source("pods"), persistentVolumes: source("pvs") });
    const authz = new NodeAuthorizer(graph);
    const pvGet = () => authz.authorize(attrs({ resource: "persistentvolumes", name: "pv-data" })).decision;
    handlers.pods!("ADDED", webPod as Kube<Pod>, undefined);
    assert.equal(pvGet(), "NoOpinion");
    handlers.pvs!("ADDED", pv as Kube<PersistentVolume>, undefined);
    assert.equal(pvGet(), "Allow");
    handlers.pods!("MODIFIED", pod("web", "b") as Kube<Pod>, undefined);
    assert.equal(pvGet(), "NoOpinion");
    handlers.pods!("MODIFIED", webPod as Kube<Pod>, undefined);
    handlers.pvs!("DELETED", pv as Kube<PersistentVolume>, undefined);
    assert.equal(pvGet(), "NoOpinion");
    handlers.pods!("DELETED", webPod as Kube<Pod>, undefined);
    assert.equal(graph.hasNode("a"), false);
  });
});
