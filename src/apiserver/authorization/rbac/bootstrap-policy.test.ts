import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ClusterRole, ClusterRoleBinding } from "kubernetes-types/rbac/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import { ResourceCatalog } from "../../catalog.js";
import { ObjectStore } from "../../registry/object-store.js";
import { SqliteStore } from "../../../storage/index.js";
import { AUTOUPDATE_ANNOTATION, BOOTSTRAPPING_LABEL } from "./bootstrap-policy.js";
import { BootstrapReconciler, defaultBootstrapPolicy } from "./bootstrap-reconciler.js";
import { InMemoryPolicy } from "./policy-source.js";
import { RbacAuthorizer } from "./rbac-authorizer.js";
import { pathAttrs, resourceAttrs, user } from "./rbac-fixtures.js";

describe("bootstrap policy", () => {
  const p = defaultBootstrapPolicy();

  it("has upstream's objects, each labelled and annotated, names unique", () => {
    const all = [...p.clusterRoles, ...p.clusterRoleBindings, ...p.roles, ...p.roleBindings];
    for (const o of all) {
      assert.equal(o.metadata?.labels?.[BOOTSTRAPPING_LABEL], "rbac-defaults", o.metadata?.name);
      assert.equal(o.metadata?.annotations?.[AUTOUPDATE_ANNOTATION], "true", o.metadata?.name);
    }
    for (const list of [p.clusterRoles, p.clusterRoleBindings, p.roles, p.roleBindings]) {
      const keys = list.map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`);
      assert.equal(new Set(keys).size, keys.length);
    }
    const names = new Set(p.clusterRoles.map((r) => r.metadata!.name));
    for (const n of ["cluster-admin", "admin", "edit", "view", "system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view", "system:basic-user",
      "system:discovery", "system:public-info-viewer", "system:monitoring", "system:node", "system:node-proxier", "system:node-bootstrapper", "system:kube-scheduler",
      "system:kube-controller-manager", "system:kube-dns", "system:volume-scheduler", "system:auth-delegator", "system:heapster", "system:kube-aggregator",
      "system:persistent-volume-provisioner", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      "system:certificates.k8s.io:kube-apiserver-client-approver", "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", "system:certificates.k8s.io:kubelet-serving-approver",
      "system:certificates.k8s.io:legacy-unknown-approver", "system:service-account-issuer-discovery", "system:controller:clusterrole-aggregation-controller",
      "system:controller:deployment-controller", "system:controller:generic-garbage-collector", "system:skiff-controller", "system:coredns", "skiff:local-path-provisioner", "skiff:csr-signer"]) {
      assert.ok(names.has(n), n);
    }
  });

  it("every binding refers to a role of the policy, and controllers run as kube-system service accounts", () => {
    const clusterRoles = new Set(p.clusterRoles.map((r) => r.metadata!.name));
    for (const b of p.clusterRoleBindings) assert.ok(clusterRoles.has(b.roleRef.name), b.metadata!.name);
    const roles = new Set(p.roles.map((r) => `${r.metadata!.namespace}/${r.metadata!.name}`));
    for (const b of p.roleBindings) assert.ok(roles.has(`${b.metadata!.namespace}/${b.roleRef.name}`), b.metadata!.name);
    for (const b of p.clusterRoleBindings.filter((b) => b.metadata!.name!.startsWith("system:controller:"))) {
      assert.deepEqual(b.subjects, [{ kind: "ServiceAccount", namespace: "kube-system", name: b.metadata!.name!.slice("system:controller:".length) }]);
    }
  });

  const rbac = new RbacAuthorizer({ policy: new InMemoryPolicy(p) });
  const cases: { name: string; attrs: ReturnType<typeof pathAttrs>; allowed: boolean }[] = [
    { name: "system:masters does anything", attrs: resourceAttrs(user("admin", "system:masters"), "delete", "nodes", { name: "n" }), allowed: true },
    { name: "authenticated users discover", attrs: pathAttrs(user("jane", "system:authenticated"), "get", "/apis/apps/v1"), allowed: true },
    { name: "authenticated users review themselves", attrs: resourceAttrs(user("jane", "system:authenticated"), "create", "selfsubjectaccessreviews", { apiGroup: "authorization.k8s.io" }), allowed: true },
    { name: "anonymous users see health", attrs: pathAttrs(user("system:anonymous", "system:unauthenticated"), "get", "/healthz"), allowed: true },
    { name: "anonymous users do not discover", attrs: pathAttrs(user("system:anonymous", "system:unauthenticated"), "get", "/api"), allowed: false },
    { name: "authenticated users do not read pods", attrs: resourceAttrs(user("jane", "system:authenticated"), "list", "pods", { namespace: "default" }), allowed: false },
    { name: "the scheduler binds pods", attrs: resourceAttrs(user("system:kube-scheduler"), "create", "pods", { namespace: "default", name: "p", subresource: "binding" }), allowed: true },
    { name: "the scheduler holds its lease", attrs: resourceAttrs(user("system:kube-scheduler"), "update", "leases", { apiGroup: "coordination.k8s.io", namespace: "kube-system", name: "kube-scheduler" }), allowed: true },
    { name: "the deployment controller writes replicasets", attrs: resourceAttrs(user("system:serviceaccount:kube-system:deployment-controller"), "create", "replicasets", { apiGroup: "apps", namespace: "x" }), allowed: true },
    { name: "the proxy watches endpointslices", attrs: resourceAttrs(user("system:kube-proxy"), "watch", "endpointslices", { apiGroup: "discovery.k8s.io" }), allowed: true },
    { name: "service accounts find the issuer", attrs: pathAttrs(user("system:serviceaccount:a:b", "system:serviceaccounts"), "get", "/openid/v1/jwks"), allowed: true },
    { name: "the node add-ons (ingress controller) update ingress status", attrs: resourceAttrs(user("system:skiff-controller"), "update", "ingresses", { apiGroup: "networking.k8s.io", namespace: "a", name: "i", subresource: "status" }), allowed: true },
    { name: "the node add-ons do not write ingresses", attrs: resourceAttrs(user("system:skiff-controller"), "update", "ingresses", { apiGroup: "networking.k8s.io", namespace: "a", name: "i" }), allowed: false },
    { name: "the server's add-ons keep the kube-dns slice", attrs: resourceAttrs(user("system:skiff-controller"), "update", "endpointslices", { apiGroup: "discovery.k8s.io", namespace: "kube-system", name: "kube-dns-skiff" }), allowed: true },
    { name: "the server's add-ons update no other slice", attrs: resourceAttrs(user("system:skiff-controller"), "update", "endpointslices", { apiGroup: "discovery.k8s.io", namespace: "default", name: "web-abcde" }), allowed: false },
    { name: "the server's add-ons update no other Service", attrs: resourceAttrs(user("system:skiff-controller"), "update", "services", { namespace: "default", name: "kubernetes" }), allowed: false },
    { name: "cluster DNS watches endpointslices", attrs: resourceAttrs(user("system:coredns"), "watch", "endpointslices", { apiGroup: "discovery.k8s.io" }), allowed: true },
    { name: "cluster DNS lists namespaces", attrs: resourceAttrs(user("system:coredns"), "list", "namespaces"), allowed: true },
    { name: "cluster DNS creates no Service", attrs: resourceAttrs(user("system:coredns"), "create", "services", { namespace: "kube-system" }), allowed: false },
    { name: "cluster DNS writes no slice", attrs: resourceAttrs(user("system:coredns"), "update", "endpointslices", { apiGroup: "discovery.k8s.io", namespace: "kube-system", name: "kube-dns-skiff" }), allowed: false },
    { name: "cluster DNS reads no secrets", attrs: resourceAttrs(user("system:coredns"), "list", "secrets"), allowed: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(rbac.authorize(c.attrs).decision === "Allow", c.allowed));
});

describe("bootstrap reconciler", () => {
  async function withStore(fn: (objects: ObjectStore, catalog: ResourceCatalog) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "skiff-rbac-bootstrap-"));
    const store = new SqliteStore(join(dir, "state.db"));
    try {
      await fn(new ObjectStore(store), new ResourceCatalog());
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const policy = defaultBootstrapPolicy();
  const total = policy.clusterRoles.length + policy.clusterRoleBindings.length + policy.roles.length + policy.roleBindings.length;

  it("creates everything once, then changes nothing", () => withStore(async (objects, catalog) => {
    const first = await new BootstrapReconciler({ objects, catalog }).reconcile();
    assert.equal(first.created.length, total);
    for (const ns of ["kube-system", "kube-public"]) assert.ok(await objects.get(catalog.lookup("", "v1", "namespaces")!, undefined, ns), `namespace ${ns}`);
    const rev = await objects.currentRevision();
    const second = await new BootstrapReconciler({ objects, catalog }).reconcile();
    assert.deepEqual(second, { created: [], updated: [], recreated: [], protected: [] });
    assert.equal(await objects.currentRevision(), rev, "no write at all the second time");
  }));

  it("several servers at once agree", () => withStore(async (objects, catalog) => {
    const results = await Promise.all([1, 2, 3].map(() => new BootstrapReconciler({ objects, catalog }).reconcile()));
    assert.equal(results.reduce((n, r) => n + r.created.length, 0), total);
  }));

  it("adds what is missing, keeps what was added, leaves protected objects alone, recreates on another roleRef", () => withStore(async (objects, catalog) => {
    await new BootstrapReconciler({ objects, catalog }).reconcile();
    const info = (r: string) => catalog.lookup("rbac.authorization.k8s.io", "v1", r)!;
    const extra = { verbs: ["get"], nonResourceURLs: ["/custom"] };
    await objects.guaranteedUpdate(info("clusterroles"), undefined, "system:discovery", (cur) => ({ ...cur!, rules: [extra] }));
    await objects.guaranteedUpdate(info("clusterroles"), undefined, "system:monitoring", (cur) => ({ ...cur!, metadata: { ...cur!.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: "false" } }, rules: [] }));
    await objects.guaranteedUpdate(info("clusterrolebindings"), undefined, "system:basic-user", (cur) => ({ ...cur!, subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob" }] }));
    await objects.delete(info("rolebindings"), "kube-system", "system:controller:token-cleaner");
    await objects.delete(info("clusterrolebindings"), undefined, "system:kube-dns");
    await objects.create(info("clusterrolebindings"), undefined, { metadata: { name: "system:kube-dns" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [] });
    const s = await new BootstrapReconciler({ objects, catalog }).reconcile();
    assert.deepEqual(s.created, ["rolebindings/kube-system/system:controller:token-cleaner"]);
    assert.deepEqual(s.updated.sort(), ["clusterrolebindings/system:basic-user", "clusterroles/system:discovery"]);
    assert.deepEqual(s.recreated, ["clusterrolebindings/system:kube-dns"]);
    assert.deepEqual(s.protected, ["clusterroles/system:monitoring"]);
    const discovery = await objects.get(info("clusterroles"), undefined, "system:discovery") as Kube<ClusterRole>;
    assert.deepEqual(discovery.rules![0], extra);
    assert.ok(discovery.rules!.some((r: { nonResourceURLs?: string[] }) => r.nonResourceURLs?.[0] === "/api"));
    const basic = await objects.get(info("clusterrolebindings"), undefined, "system:basic-user") as Kube<ClusterRoleBinding>;
    assert.deepEqual(basic.subjects!.map((x: { name: string }) => x.name), ["bob", "system:authenticated"]);
    assert.equal((await objects.get(info("clusterroles"), undefined, "system:monitoring") as Kube<ClusterRole>).rules!.length, 0);
    assert.equal((await objects.get(info("clusterrolebindings"), undefined, "system:kube-dns") as Kube<ClusterRoleBinding>).roleRef.name, "system:kube-dns");
  }));
});
