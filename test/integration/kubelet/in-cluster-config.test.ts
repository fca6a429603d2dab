/**
 * What a client library in a pod reads: the kubelet's volume manager writes
 * upstream's kube-api-access volume, and @kubernetes/client-node's
 * `KubeConfig.loadFromCluster()` (pointed at a root where the service-account
 * path is that volume, as the process runtime gives its containers) reaches
 * the API server with it, verifying the server with the ca.crt it holds.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { Resources, type KubeObject } from "../../../src/client/index.js";
import { TokenManager } from "../../../src/kubelet/token/token-manager.js";
import { serviceAccountTokenSource } from "../../../src/kubelet/token/token-source.js";
import type { Pod } from "../../../src/kubelet/types.js";
import { VolumeManager, type TokenSource } from "../../../src/kubelet/volume/volumes.js";
import { startControlPlane, type ControlPlane } from "../../helpers/control-plane.js";
import { eventually } from "../../helpers/kubectl.js";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const VOLUME = "kube-api-access-test";

const kubeApiAccess = {
  name: VOLUME,
  projected: {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ],
  },
};

describe("a projected kube-api-access volume and client-node's loadFromCluster", () => {
  let cp: ControlPlane;
  let pod: Pod;
  const scratch = mkdtempSync(join(tmpdir(), "skiff-in-cluster-config-"));

  before(async () => {
    cp = await startControlPlane();
    // The root-ca-cert-publisher's ConfigMap, made here: this test runs no controllers.
    const ca = cp.client.config.ca!;
    await cp.client.create(Resources.configmaps, "default", { metadata: { name: "kube-root-ca.crt" }, data: { "ca.crt": ca } } as KubeObject);
    await cp.client.create(Resources.serviceaccounts, "default", { metadata: { name: "app" } } as KubeObject);
    // RBAC: the account may list pods (a Role of its own: `view` is filled by the aggregation controller, which does not run here).
    await cp.client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "pod-reader" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
    });
    await cp.client.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "app-pod-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ kind: "ServiceAccount", name: "app", namespace: "default" }],
    });
    pod = await cp.client.create<Pod>(Resources.pods, "default", {
      metadata: { name: "app" },
      spec: { serviceAccountName: "app", volumes: [kubeApiAccess], containers: [{ name: "c", image: "x", volumeMounts: [{ name: VOLUME, mountPath: SA_DIR }] }] },
    } as KubeObject);
  });
  after(async () => {
    await cp?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Writes the pod's volumes with the token source, and lists pods as client-node does in a pod with that volume. */
  async function listFromCluster(name: string, token: TokenSource): Promise<{ pods: string[]; failed: string[] }> {
    const sources = {
      configMap: (_ns: string, n: string) => (n === "kube-root-ca.crt" ? { data: { "ca.crt": cp.client.config.ca ?? "" } } : undefined),
      secret: () => undefined, services: () => [], persistentVolumeClaim: () => undefined, persistentVolume: () => undefined,
    };
    const vm = new VolumeManager(join(scratch, name, "pods"), sources, () => ({}), token);
    const { paths, failed } = await vm.setUp(pod);
    if (failed.length) return { pods: [], failed: failed.map((e) => e.message) };
    const root = join(scratch, name, "root");
    mkdirSync(dirname(join(root, SA_DIR)), { recursive: true });
    symlinkSync(paths.get(VOLUME)!, join(root, SA_DIR));
    const url = new URL(cp.server.url);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster(root);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, "default");
      const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: "default" });
      return { pods: list.items.map((p) => p.metadata!.name!), failed: [] };
    } finally {
      for (const [k, v] of [["KUBERNETES_SERVICE_HOST", saved.host], ["KUBERNETES_SERVICE_PORT", saved.port]] as const) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
  }

  it("reads the token, ca.crt and namespace the volume manager wrote (a static token)", async () => {
    const adminToken = (cp.server as unknown as { options: { pki: { adminToken: string } } }).options.pki.adminToken;
    assert.deepEqual(await listFromCluster("static", async () => adminToken), { pods: ["app"], failed: [] });
  });

  it("reads a token the kubelet's token manager got through TokenRequest", async (t) => {
    const tokens = new TokenManager({ requestToken: (ns, n, tr) => cp.client.request("POST", cp.client.path(Resources.serviceaccounts, ns, n, "token"), { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", ...tr }) });
    // The binding reaches the authorizer through its watch: the first tries may be Forbidden.
    let attempt = 0;
    const r = await eventually(async () => listFromCluster(`tokenrequest-${++attempt}`, serviceAccountTokenSource(tokens)), 10_000, 200);
    if (r.failed.some((m) => /failed to fetch token: .*(could not find|not found|does not allow this method)/i.test(m))) { t.skip(`TokenRequest is not served yet: ${r.failed[0]}`); return; }
    assert.deepEqual(r, { pods: ["app"], failed: [] });
  });
});
