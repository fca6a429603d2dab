import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployment } from "kubernetes-types/apps/v1.js";
import type { Container, Namespace, Pod, PodSpec } from "kubernetes-types/core/v1.js";
import { ApiError } from "../../../../api/errors.js";
import type { Kube } from "../../../../api/kube-object.js";
import { builtinResources } from "../../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject, Operation } from "../../admission.js";
import { PodSecurityMetrics } from "./metrics.js";
import { PodSecurity, type PodSecurityOptions } from "./pod-security.js";

const BARE_POD_RESTRICTED =
  `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
  `unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
  `runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
  `seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`;

const info = (group: string, resource: string) => {
  const r = builtinResources.find((x) => x.group === group && x.resource === resource);
  assert.ok(r, `${group}/${resource}`);
  return r;
};

function namespace(name: string, labels: Record<string, string> = {}): Kube<Namespace> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } };
}

function pod(name: string, spec: Partial<PodSpec> = {}, extra: Partial<Pod["metadata"]> = {}): Kube<Pod> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns", ...extra }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } };
}

const hardened: Container = { name: "c", image: "busybox", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } };
const hardenedSpec: Partial<PodSpec> = { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [hardened] };

interface Outcome {
  warnings: string[];
  audit: Record<string, string>[];
  error?: ApiError;
}

interface Fixture {
  namespaces?: Namespace[];
  pods?: Pod[];
  options?: Partial<PodSecurityOptions>;
}

function plugin(f: Fixture = {}): { plugin: PodSecurity; run: (a: Partial<AdmissionAttributes> & { object: AdmissionObject }) => Promise<Outcome> } {
  const audit: Record<string, string>[] = [];
  const p = new PodSecurity({
    getNamespace: async (name) => f.namespaces?.find((n) => n.metadata?.name === name),
    listPods: async (ns) => (f.pods ?? []).filter((x) => x.metadata?.namespace === ns),
    recordAuditAnnotations: (_attrs, a) => audit.push(a),
    ...f.options,
  });
  const run = async (a: Partial<AdmissionAttributes> & { object: AdmissionObject }): Promise<Outcome> => {
    const warnings: string[] = [];
    audit.length = 0;
    const attrs: AdmissionAttributes = {
      info: info("", "pods"), operation: "CREATE" as Operation, namespace: "ns", name: a.object.metadata?.name ?? "", subresource: "",
      user: { username: "alice", groups: ["system:authenticated"] }, dryRun: false, addWarning: (w) => warnings.push(w), ...a,
    };
    try {
      await p.validate(attrs);
      return { warnings, audit: [...audit] };
    } catch (err) {
      assert.ok(err instanceof ApiError, String(err));
      return { warnings, audit: [...audit], error: err };
    }
  };
  return { plugin: p, run };
}

describe("PodSecurity: pods", () => {
  const restricted = namespace("ns", { "pod-security.kubernetes.io/enforce": "restricted" });

  it("is named as upstream", () => assert.equal(plugin().plugin.name, "PodSecurity"));

  it("refuses a pod that violates the enforce level, with upstream's message", async () => {
    const { run } = plugin({ namespaces: [restricted] });
    const r = await run({ object: pod("x") });
    assert.ok(r.error);
    assert.equal(r.error.code, 403);
    assert.equal(r.error.reason, "Forbidden");
    assert.equal(r.error.message, `pods "x" is forbidden: violates PodSecurity "restricted:latest": ${BARE_POD_RESTRICTED}`);
    assert.deepEqual(r.error.details, { name: "x", group: "", kind: "pods" });
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.audit, [{ "pod-security.kubernetes.io/enforce-policy": "restricted:latest" }]);
  });

  it("names a generated pod by its generated name", async () => {
    const { run } = plugin({ namespaces: [restricted] });
    const r = await run({ name: "", object: pod("web-7d4b9-abcde", {}, { generateName: "web-7d4b9-" }) });
    assert.match(r.error?.message ?? "", /^pods "web-7d4b9-abcde" is forbidden: violates PodSecurity/);
  });

  it("admits a pod that meets the level", async () => {
    const { run } = plugin({ namespaces: [restricted] });
    const r = await run({ object: pod("x", hardenedSpec) });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.warnings, []);
  });

  const table: { name: string; labels: Record<string, string>; spec?: Partial<PodSpec>; error?: string; warnings?: string[]; audit?: Record<string, string> }[] = [
    {
      name: "namespace without labels: privileged, nothing checked",
      labels: {}, spec: { hostNetwork: true },
      audit: { "pod-security.kubernetes.io/enforce-policy": "privileged:latest" },
    },
    {
      name: "warn adds a warning and admits",
      labels: { "pod-security.kubernetes.io/warn": "restricted" },
      warnings: [`would violate PodSecurity "restricted:latest": ${BARE_POD_RESTRICTED}`],
      audit: { "pod-security.kubernetes.io/enforce-policy": "privileged:latest" },
    },
    {
      name: "audit adds an audit annotation and admits",
      labels: { "pod-security.kubernetes.io/audit": "baseline", "pod-security.kubernetes.io/audit-version": "v1.29" }, spec: { hostNetwork: true },
      audit: {
        "pod-security.kubernetes.io/enforce-policy": "privileged:latest",
        "pod-security.kubernetes.io/audit-violations": `would violate PodSecurity "baseline:v1.29": host namespaces (hostNetwork)`,
      },
    },
    {
      name: "a refused pod gets no warnings, but the audit annotation",
      labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" },
      spec: { hostPID: true },
      error: `pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID)`,
      audit: {
        "pod-security.kubernetes.io/enforce-policy": "baseline:latest",
        "pod-security.kubernetes.io/audit-violations": `would violate PodSecurity "restricted:latest": host namespaces (hostPID), ${BARE_POD_RESTRICTED}`,
      },
    },
    {
      name: "baseline enforce, restricted warn: admitted with a warning",
      labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" },
      warnings: [`would violate PodSecurity "restricted:latest": ${BARE_POD_RESTRICTED}`],
      audit: { "pod-security.kubernetes.io/enforce-policy": "baseline:latest" },
    },
    {
      name: "a pinned enforce version",
      labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.26" },
      spec: { securityContext: { sysctls: [{ name: "net.ipv4.ip_local_reserved_ports", value: "1" }] } },
      error: `pods "x" is forbidden: violates PodSecurity "baseline:v1.26": forbidden sysctls (net.ipv4.ip_local_reserved_ports)`,
      audit: { "pod-security.kubernetes.io/enforce-policy": "baseline:v1.26" },
    },
    {
      name: "an invalid enforce label fails closed at restricted:latest",
      labels: { "pod-security.kubernetes.io/enforce": "strict" },
      error: `pods "x" is forbidden: violates PodSecurity "restricted:latest": ${BARE_POD_RESTRICTED}`,
      audit: {
        "pod-security.kubernetes.io/error": `Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`,
        "pod-security.kubernetes.io/enforce-policy": "restricted:latest",
      },
    },
    {
      name: "an invalid warn label fails open",
      labels: { "pod-security.kubernetes.io/warn": "strict" }, spec: { hostPID: true },
      audit: {
        "pod-security.kubernetes.io/error": `Failed to parse policy: metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of privileged, baseline, restricted`,
        "pod-security.kubernetes.io/enforce-policy": "privileged:latest",
      },
    },
  ];
  for (const tc of table) {
    it(tc.name, async () => {
      const { run } = plugin({ namespaces: [namespace("ns", tc.labels)] });
      const r = await run({ object: pod("x", tc.spec) });
      assert.equal(r.error?.message, tc.error);
      assert.deepEqual(r.warnings, tc.warnings ?? []);
      assert.deepEqual(r.audit, tc.audit ? [tc.audit] : []);
    });
  }

  const updates: { name: string; old: Kube<Pod>; updated: Kube<Pod>; subresource?: string; refused: boolean }[] = [
    { name: "labels only", old: pod("x"), updated: pod("x", {}, { labels: { a: "b" } }), refused: false },
    { name: "annotations only", old: pod("x"), updated: pod("x", {}, { annotations: { a: "b" } }), refused: false },
    { name: "activeDeadlineSeconds", old: pod("x"), updated: pod("x", { activeDeadlineSeconds: 5 }), refused: false },
    { name: "a container's image", old: pod("x"), updated: pod("x", { containers: [{ name: "c", image: "busybox:2" }] }), refused: true },
    { name: "an init container's image", old: pod("x", { initContainers: [{ name: "i", image: "a" }] }), updated: pod("x", { initContainers: [{ name: "i", image: "b" }] }), refused: true },
    {
      name: "the seccomp pod annotation", old: pod("x"),
      updated: pod("x", {}, { annotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" } }), refused: true,
    },
    {
      name: "an added ephemeral container (kubectl debug)", subresource: "ephemeralcontainers", old: pod("x"),
      updated: pod("x", { ephemeralContainers: [{ name: "debugger", image: "busybox" }] }), refused: true,
    },
    {
      name: "ephemeral containers unchanged", subresource: "ephemeralcontainers",
      old: pod("x", { ephemeralContainers: [{ name: "debugger", image: "busybox" }] }),
      updated: pod("x", { ephemeralContainers: [{ name: "debugger", image: "busybox" }] }), refused: false,
    },
    { name: "status subresource", subresource: "status", old: pod("x"), updated: pod("x", { containers: [{ name: "c", image: "other" }] }), refused: false },
  ];
  for (const tc of updates) {
    it(`UPDATE of ${tc.name}: ${tc.refused ? "evaluated" : "let through"}`, async () => {
      const { run } = plugin({ namespaces: [restricted] });
      const r = await run({ operation: "UPDATE", subresource: tc.subresource ?? "", object: tc.updated, oldObject: tc.old });
      assert.equal(r.error !== undefined, tc.refused, r.error?.message);
    });
  }

  it("refuses a privileged ephemeral container in a baseline namespace", async () => {
    const { run } = plugin({ namespaces: [namespace("ns", { "pod-security.kubernetes.io/enforce": "baseline" })] });
    const r = await run({
      operation: "UPDATE", subresource: "ephemeralcontainers", object: pod("x", { ephemeralContainers: [{ name: "dbg", image: "busybox", securityContext: { privileged: true } }] }),
      oldObject: pod("x"),
    });
    assert.equal(r.error?.message, `pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "dbg" must not set securityContext.privileged=true)`);
  });

  it("ignores DELETE and CONNECT", async () => {
    const { run } = plugin({ namespaces: [restricted] });
    assert.equal((await run({ operation: "DELETE", object: pod("x") })).error, undefined);
    assert.equal((await run({ operation: "CONNECT", subresource: "exec", object: pod("x") })).error, undefined);
  });

  const exemptions: { name: string; options: Partial<PodSecurityOptions>; spec?: Partial<PodSpec>; reason: string }[] = [
    { name: "namespace", options: { exemptions: { namespaces: ["ns"] } }, reason: "namespace" },
    { name: "user", options: { exemptions: { usernames: ["alice"] } }, reason: "user" },
    { name: "runtime class", options: { exemptions: { runtimeClasses: ["kata"] } }, spec: { runtimeClassName: "kata" }, reason: "runtimeClass" },
  ];
  for (const tc of exemptions) {
    it(`exempts by ${tc.name}`, async () => {
      const { run } = plugin({ namespaces: [restricted], options: tc.options });
      const r = await run({ object: pod("x", tc.spec) });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.audit, [{ "pod-security.kubernetes.io/exempt": tc.reason }]);
    });
  }

  it("kube-system is not special", async () => {
    const { run } = plugin({ namespaces: [namespace("kube-system", { "pod-security.kubernetes.io/enforce": "restricted" })] });
    assert.ok((await run({ namespace: "kube-system", object: pod("x") })).error);
  });

  it("applies configured defaults to namespaces without labels", async () => {
    const { run } = plugin({ namespaces: [namespace("ns")], options: { defaults: { enforce: "baseline" } } });
    const r = await run({ object: pod("x", { hostIPC: true }) });
    assert.equal(r.error?.message, `pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostIPC)`);
  });

  it("relaxes runAsNonRoot for user-namespace pods only when told to", async () => {
    const labels = { "pod-security.kubernetes.io/enforce": "restricted" };
    const spec: Partial<PodSpec> = { hostUsers: false, securityContext: { seccompProfile: { type: "RuntimeDefault" } }, containers: [hardened] };
    const strict = plugin({ namespaces: [namespace("ns", labels)] });
    assert.match((await strict.run({ object: pod("x", spec) })).error?.message ?? "", /runAsNonRoot != true/);
    const relaxed = plugin({ namespaces: [namespace("ns", labels)], options: { relaxPolicyForUserNamespacePods: true } });
    assert.equal((await relaxed.run({ object: pod("x", spec) })).error, undefined);
  });

  it("answers 404 for a pod in a namespace that does not exist", async () => {
    const { run } = plugin({ namespaces: [] });
    const r = await run({ object: pod("x") });
    assert.equal(r.error?.code, 404);
    assert.equal(r.error?.message, `namespaces "ns" not found`);
  });

  it("answers 500 when the namespace cannot be read", async () => {
    const { run } = plugin({ options: { getNamespace: async () => { throw new Error("etcd down"); } } });
    const r = await run({ object: pod("x") });
    assert.equal(r.error?.code, 500);
    assert.equal(r.error?.message, "Internal error occurred: failed to lookup namespace ns");
    assert.deepEqual(r.audit, [{ "pod-security.kubernetes.io/error": "Internal error occurred: failed to lookup namespace ns: etcd down" }]);
  });
});

describe("PodSecurity: pod templates", () => {
  const deployment = (spec: Partial<PodSpec> = {}): Kube<Deployment> => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "ns" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } } },
  });

  const kinds: { group: string; resource: string; object: AdmissionObject }[] = [
    { group: "apps", resource: "deployments", object: deployment() },
    { group: "apps", resource: "replicasets", object: { kind: "ReplicaSet", metadata: { name: "web" }, spec: { template: deployment().spec!.template } } },
    { group: "apps", resource: "statefulsets", object: { kind: "StatefulSet", metadata: { name: "web" }, spec: { template: deployment().spec!.template } } },
    { group: "apps", resource: "daemonsets", object: { kind: "DaemonSet", metadata: { name: "web" }, spec: { template: deployment().spec!.template } } },
    { group: "batch", resource: "jobs", object: { kind: "Job", metadata: { name: "web" }, spec: { template: deployment().spec!.template } } },
    { group: "batch", resource: "cronjobs", object: { kind: "CronJob", metadata: { name: "web" }, spec: { schedule: "* * * * *", jobTemplate: { spec: { template: deployment().spec!.template } } } } },
    { group: "", resource: "replicationcontrollers", object: { kind: "ReplicationController", metadata: { name: "web" }, spec: { template: deployment().spec!.template } } },
    { group: "", resource: "podtemplates", object: { kind: "PodTemplate", metadata: { name: "web" }, template: deployment().spec!.template } },
  ];
  for (const k of kinds) {
    it(`${k.group || "core"}/${k.resource}: warned and audited, never refused`, async () => {
      const ns = namespace("ns", { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "baseline" });
      const { run } = plugin({ namespaces: [ns] });
      const r = await run({ info: info(k.group, k.resource), object: { ...k.object, spec: { ...(k.object.spec as object | undefined) } } });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.warnings, [`would violate PodSecurity "restricted:latest": ${BARE_POD_RESTRICTED}`]);
      assert.deepEqual(r.audit, []);
    });
  }

  it("enforce alone on the namespace gives no warning for a template", async () => {
    const { run } = plugin({ namespaces: [namespace("ns", { "pod-security.kubernetes.io/enforce": "restricted" })] });
    const r = await run({ info: info("apps", "deployments"), object: deployment() });
    assert.deepEqual(r, { warnings: [], audit: [] });
  });

  it("audits a template's violations", async () => {
    const { run } = plugin({ namespaces: [namespace("ns", { "pod-security.kubernetes.io/audit": "baseline" })] });
    const r = await run({ info: info("apps", "deployments"), object: deployment({ hostNetwork: true }) });
    assert.deepEqual(r.audit, [{ "pod-security.kubernetes.io/audit-violations": `would violate PodSecurity "baseline:latest": host namespaces (hostNetwork)` }]);
  });

  it("ignores subresources of templates (scale) and kinds without pod specs", async () => {
    const { run } = plugin({ namespaces: [namespace("ns", { "pod-security.kubernetes.io/warn": "restricted" })] });
    assert.deepEqual((await run({ info: info("apps", "deployments"), subresource: "scale", object: deployment() })).warnings, []);
    assert.deepEqual((await run({ info: info("", "configmaps"), object: { kind: "ConfigMap", metadata: { name: "c" } } })).warnings, []);
  });

  it("a template kind whose template is unset passes", async () => {
    const { run } = plugin({ namespaces: [namespace("ns", { "pod-security.kubernetes.io/warn": "restricted" })] });
    const r = await run({ info: info("", "replicationcontrollers"), object: { kind: "ReplicationController", metadata: { name: "r" }, spec: {} } });
    assert.deepEqual(r, { warnings: [], audit: [] });
  });

  it("a failed namespace lookup only leaves an audit trace", async () => {
    const { run } = plugin({ namespaces: [] });
    const r = await run({ info: info("apps", "deployments"), object: deployment() });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.audit, [{ "pod-security.kubernetes.io/error": `failed to lookup namespace ns: namespaces "ns" not found` }]);
  });
});

describe("PodSecurity: namespaces", () => {
  const nsInfo = info("", "namespaces");

  const creates: { name: string; labels: Record<string, string>; error?: string }[] = [
    { name: "valid labels", labels: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.32", "pod-security.kubernetes.io/warn": "restricted" } },
    {
      name: "an invalid level",
      labels: { "pod-security.kubernetes.io/enforce": "foo" },
      error: `Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": must be one of privileged, baseline, restricted`,
    },
    {
      name: "several invalid labels",
      labels: { "pod-security.kubernetes.io/enforce-version": "1.25", "pod-security.kubernetes.io/audit": "all" },
      error: `Namespace "x" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.25": must be "latest" or "v1.x", ` +
        `metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "all": must be one of privileged, baseline, restricted]`,
    },
    { name: "other labels of the prefix are not checked", labels: { "pod-security.kubernetes.io/whatever": "x" } },
  ];
  for (const tc of creates) {
    it(`CREATE with ${tc.name}`, async () => {
      const { run } = plugin();
      const r = await run({ info: nsInfo, namespace: "", object: namespace("x", tc.labels) });
      assert.equal(r.error?.message, tc.error);
      if (tc.error) {
        assert.equal(r.error?.code, 422);
        assert.equal(r.error?.reason, "Invalid");
        assert.equal(r.error?.details?.kind, "Namespace");
        assert.equal(r.error?.details?.causes?.[0].field, Object.keys(tc.labels)[0]?.replace(/^/, "metadata.labels[").concat("]"));
      }
    });
  }

  it("an UPDATE that keeps already-invalid labels is allowed; one that changes them is refused", async () => {
    const { run } = plugin();
    const old = namespace("x", { "pod-security.kubernetes.io/enforce": "foo" });
    assert.equal((await run({ info: nsInfo, operation: "UPDATE", namespace: "x", object: namespace("x", { "pod-security.kubernetes.io/enforce": "foo", team: "a" }), oldObject: old })).error, undefined);
    const r = await run({ info: nsInfo, operation: "UPDATE", namespace: "x", object: namespace("x", { "pod-security.kubernetes.io/enforce": "bar" }), oldObject: old });
    assert.equal(r.error?.code, 422);
  });

  const priv = (name: string, spec: Partial<PodSpec> = {}, owner?: string): Pod => ({
    metadata: { name, namespace: "x", ownerReferences: owner ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: owner, controller: true }] : undefined },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  });
  const existing = [
    priv("web-2", { hostNetwork: true }, "rs-web"), priv("web-1", { hostNetwork: true }, "rs-web"), priv("web-3", { hostNetwork: true }, "rs-web"),
    priv("db", { containers: [{ name: "c", securityContext: { privileged: true } }] }),
    priv("ok", hardenedSpec),
    { ...priv("other-ns", { hostNetwork: true }), metadata: { name: "other-ns", namespace: "y" } },
  ];

  const dryRuns: { name: string; old: Record<string, string>; updated: Record<string, string>; warnings: string[]; options?: Partial<PodSecurityOptions> }[] = [
    {
      name: "tightening enforce warns about existing pods",
      old: {}, updated: { "pod-security.kubernetes.io/enforce": "baseline" },
      warnings: [
        `existing pods in namespace "x" violate the new PodSecurity enforce level "baseline:latest"`,
        "db: privileged",
        "web-1 (and 2 other pods): host namespaces",
      ],
    },
    {
      name: "tightening to restricted folds reasons",
      old: { "pod-security.kubernetes.io/enforce": "baseline" }, updated: { "pod-security.kubernetes.io/enforce": "restricted" },
      warnings: [
        `existing pods in namespace "x" violate the new PodSecurity enforce level "restricted:latest"`,
        "db: privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
        "web-1 (and 2 other pods): host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
      ],
    },
    { name: "relaxing enforce does not dry-run", old: { "pod-security.kubernetes.io/enforce": "restricted" }, updated: { "pod-security.kubernetes.io/enforce": "baseline" }, warnings: [] },
    { name: "unchanged enforce does not dry-run", old: { "pod-security.kubernetes.io/enforce": "baseline" }, updated: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted" }, warnings: [] },
    { name: "privileged does not dry-run", old: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.20" }, updated: { "pod-security.kubernetes.io/enforce": "privileged" }, warnings: [] },
    {
      name: "a version change at the same level dry-runs",
      old: { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.20" }, updated: { "pod-security.kubernetes.io/enforce": "baseline" },
      warnings: [`existing pods in namespace "x" violate the new PodSecurity enforce level "baseline:latest"`, "db: privileged", "web-1 (and 2 other pods): host namespaces"],
    },
    { name: "an exempt namespace does not dry-run", old: {}, updated: { "pod-security.kubernetes.io/enforce": "baseline" }, warnings: [], options: { exemptions: { namespaces: ["x"] } } },
    {
      name: "the pod limit is upstream's, one pod per controller first",
      old: {}, updated: { "pod-security.kubernetes.io/enforce": "baseline" }, options: { namespaceMaxPodsToCheck: 2 },
      warnings: [
        "new PodSecurity enforce level only checked against the first 2 of 5 existing pods",
        `existing pods in namespace "x" violate the new PodSecurity enforce level "baseline:latest"`,
        "db: privileged",
        "web-2: host namespaces",
      ],
    },
    {
      name: "pods with an exempt runtime class are skipped",
      old: {}, updated: { "pod-security.kubernetes.io/enforce": "baseline" }, options: { exemptions: { runtimeClasses: ["kata"] }, listPods: async () => [priv("sandboxed", { runtimeClassName: "kata", hostPID: true })] },
      warnings: [],
    },
    {
      name: "a failed list is reported",
      old: {}, updated: { "pod-security.kubernetes.io/enforce": "baseline" }, options: { listPods: async () => { throw new Error("boom"); } },
      warnings: ["failed to list pods while checking new PodSecurity enforce level"],
    },
  ];
  for (const tc of dryRuns) {
    it(tc.name, async () => {
      const { run } = plugin({ pods: existing, options: tc.options });
      const r = await run({ info: nsInfo, operation: "UPDATE", namespace: "x", object: namespace("x", tc.updated), oldObject: namespace("x", tc.old) });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.warnings, tc.warnings);
    });
  }

  it("stops the dry run at the time limit", async () => {
    let t = 0;
    const pods = Array.from({ length: 10 }, (_, i) => priv(`p${i}`, { hostPID: true }));
    const { run } = plugin({ options: { listPods: async () => pods, namespacePodCheckTimeoutMs: 1000, now: () => (t += 300) } });
    const r = await run({ info: nsInfo, operation: "UPDATE", namespace: "x", object: namespace("x", { "pod-security.kubernetes.io/enforce": "baseline" }), oldObject: namespace("x") });
    assert.deepEqual(r.warnings, [
      // the clock reads 300 at the start, so the deadline is 1300: passed after the fourth pod (1500)
      "new PodSecurity enforce level only checked against the first 4 of 10 existing pods",
      `existing pods in namespace "x" violate the new PodSecurity enforce level "baseline:latest"`,
      "p0 (and 3 other pods): host namespaces",
    ]);
  });

  it("ignores namespace subresources", async () => {
    const { run } = plugin();
    const r = await run({ info: nsInfo, operation: "UPDATE", subresource: "status", namespace: "x", object: namespace("x", { "pod-security.kubernetes.io/enforce": "foo" }), oldObject: namespace("x") });
    assert.equal(r.error, undefined);
  });
});

it("refuses invalid defaults at construction", () => {
  assert.throws(() => new PodSecurity({ getNamespace: async () => undefined, listPods: async () => [], defaults: { enforce: "nope" } }), /defaults\.enforce/);
});

it("counts evaluations, exemptions and errors with upstream's metric names and labels", async () => {
  const metrics = new PodSecurityMetrics();
  const namespaces = [
    namespace("ns", { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.40" }),
    namespace("open"),
    namespace("bad", { "pod-security.kubernetes.io/audit": "x" }),
  ];
  const { run } = plugin({ namespaces, options: { metrics, exemptions: { usernames: ["root"] } } });
  await run({ object: pod("a") }); // baseline allows, restricted:v1.40 warns
  await run({ object: pod("b", { hostPID: true }) }); // baseline denies
  await run({ namespace: "open", object: pod("c") }); // privileged everywhere
  await run({ user: { username: "root", groups: [] }, object: pod("d") });
  await run({ namespace: "bad", object: pod("e") });
  const text = await metrics.registry.metrics();
  const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
  assert.deepEqual(lines, [
    `pod_security_evaluations_total{decision="allow",policy_level="baseline",policy_version="latest",mode="enforce",request_operation="create",resource="pod",subresource=""} 1`,
    `pod_security_evaluations_total{decision="deny",policy_level="restricted",policy_version="future",mode="warn",request_operation="create",resource="pod",subresource=""} 1`,
    `pod_security_evaluations_total{decision="deny",policy_level="baseline",policy_version="latest",mode="enforce",request_operation="create",resource="pod",subresource=""} 1`,
    `pod_security_evaluations_total{decision="allow",policy_level="privileged",policy_version="latest",mode="enforce",request_operation="create",resource="pod",subresource=""} 2`,
    `pod_security_exemptions_total{request_operation="create",resource="pod",subresource=""} 1`,
    `pod_security_errors_total{fatal="false",request_operation="create",resource="pod",subresource=""} 1`,
  ]);
  assert.match(text, /# HELP pod_security_evaluations_total \[ALPHA\] Number of policy evaluations that occurred, not counting ignored or exempt requests\.\n# TYPE pod_security_evaluations_total counter/);
});
