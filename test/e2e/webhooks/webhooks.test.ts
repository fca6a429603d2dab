/**
 * Admission webhooks as a kubectl user meets them: webhook servers the test
 * starts on loopback HTTPS (their own CA in caBundle) that deny, mutate,
 * warn, time out and are unreachable, with both failure policies; the
 * selectors; a webhook reached through a Service's endpoint; dry runs; and
 * webhook configurations that no webhook can lock.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { freePort } from "../../helpers/net.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";
import { startWebhookServer, type WebhookServer } from "../../helpers/webhook-server.js";

const fixture = (name: string, vars: Record<string, string | number>) =>
  Object.entries(vars).reduce((text, [k, v]) => text.replaceAll(k, String(v)), readFileSync(join(repoRoot, "test/e2e/webhooks", name), "utf8"));

interface HookSpec {
  name: string;
  path: string;
  label: string;
  operations?: string[];
  failurePolicy?: "Fail" | "Ignore";
  timeoutSeconds?: number;
  url?: string;
  service?: { namespace: string; name: string; path: string };
  namespaceSelector?: object;
  sideEffects?: string;
  reinvocationPolicy?: string;
  admissionReviewVersions?: string[];
  matchConditions?: { name: string; expression: string }[];
}

const scratch = mkdtempSync(join(tmpdir(), "skiff-e2e-webhooks-"));
const auditLog = join(scratch, "audit.log");

describe("admission webhooks", () => {
  let server: RunningServer;
  let hooks: WebhookServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));

  /** One webhook configuration of one webhook on ConfigMaps labelled webhook-test=<label>. */
  const configuration = (kind: "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration", h: HookSpec) => JSON.stringify({
    apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name: h.name.split(".")[0] },
    webhooks: [{
      name: h.name,
      clientConfig: h.service ? { service: h.service, caBundle: hooks.caBundle } : { url: h.url ?? `${hooks.url}${h.path}`, caBundle: hooks.caBundle },
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: h.operations ?? ["CREATE"], resources: ["configmaps"] }],
      objectSelector: { matchLabels: { "webhook-test": h.label } },
      ...(h.namespaceSelector ? { namespaceSelector: h.namespaceSelector } : {}),
      ...(h.failurePolicy ? { failurePolicy: h.failurePolicy } : {}),
      ...(h.timeoutSeconds ? { timeoutSeconds: h.timeoutSeconds } : {}),
      ...(h.reinvocationPolicy ? { reinvocationPolicy: h.reinvocationPolicy } : {}),
      ...(h.matchConditions ? { matchConditions: h.matchConditions } : {}),
      sideEffects: h.sideEffects ?? "None",
      admissionReviewVersions: h.admissionReviewVersions ?? ["v1"],
    }],
  });
  const configMap = (name: string, label: string, ns = "default") =>
    JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels: { "webhook-test": label } }, data: { k: "v" } });
  /** Applies a configuration and waits until the server calls its webhook (its cache follows a watch). */
  const install = async (kind: "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration", h: HookSpec, probeNs = "default") => {
    await kubectl.ok(["apply", "--validate=strict", "-f", "-"], { input: configuration(kind, h) });
    await eventually(async () => {
      const before = hooks.received.length;
      await kubectl.run(["create", "--dry-run=server", "-f", "-"], { input: configMap("probe", h.label, probeNs) });
      return hooks.received.slice(before).some((r) => r.path === h.path);
    });
  };
  const uninstall = (kind: string, name: string) => kubectl.ok(["delete", kind, name.split(".")[0]!]);

  before(async () => {
    server = await startServer({ args: ["--audit-policy-file", join(repoRoot, "test/e2e/webhooks/audit-policy.yaml"), "--audit-log-path", auditLog] });
    kubectl = kubectlFor(server.kubeconfig);
    hooks = await startWebhookServer({ dnsNames: ["hook.hooks.svc"] });
  });
  after(async () => {
    await hooks?.close();
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("serves webhook configurations with upstream's defaults, columns and validation", async () => {
    const applied = await kubectl.ok(["apply", "--validate=strict", "-f", "-"], { input: fixture("deny.yaml", { WEBHOOK_URL: hooks.url, CA_BUNDLE: hooks.caBundle }) });
    assert.match(applied, /validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/deny-configmaps created/);
    assert.match(await kubectl.ok(["get", "validatingwebhookconfigurations"]), /^NAME\s+WEBHOOKS\s+AGE\ndeny-configmaps\s+1\s+\d+s$/m);
    const hook = (await json(["get", "validatingwebhookconfiguration", "deny-configmaps"])).webhooks[0];
    assert.equal(hook.failurePolicy, "Fail");
    assert.equal(hook.matchPolicy, "Equivalent");
    assert.equal(hook.timeoutSeconds, 10);
    assert.deepEqual(hook.namespaceSelector, {});
    assert.deepEqual(hook.rules, [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["configmaps"], scope: "Namespaced" }]);
    assert.match(await kubectl.ok(["explain", "validatingwebhookconfigurations.webhooks.rules.resources"]), /Resources is a list of resources this rule applies to/);
    assert.match(await kubectl.ok(["api-resources", "--api-group=admissionregistration.k8s.io"]), /mutatingwebhookconfigurations\s+admissionregistration\.k8s\.io\/v1\s+false\s+MutatingWebhookConfiguration/);

    const noSideEffects = JSON.parse(configuration("MutatingWebhookConfiguration", { name: "bad.webhooks.example.com", path: "/x", label: "x" }));
    delete noSideEffects.webhooks[0].sideEffects;
    noSideEffects.webhooks[0].timeoutSeconds = 31;
    noSideEffects.webhooks[0].matchConditions = [{ name: "c", expression: "'not a bool'" }];
    const refused = await kubectl.run(["apply", "-f", "-"], { input: JSON.stringify(noSideEffects) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /webhooks\[0\]\.sideEffects: Required value: must specify one of None, NoneOnDryRun/);
    assert.match(refused.stderr, /webhooks\[0\]\.timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds/);
    assert.match(refused.stderr, /webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "'not a bool'": must evaluate to bool/);
    const some = JSON.parse(configuration("ValidatingWebhookConfiguration", { name: "some", path: "/x", label: "x", sideEffects: "Some" }));
    const refusedSome = await kubectl.run(["apply", "-f", "-"], { input: JSON.stringify(some) });
    assert.match(refusedSome.stderr, /webhooks\[0\]\.name: Invalid value: "some": should be a domain with at least three segments separated by dots/);
    assert.match(refusedSome.stderr, /webhooks\[0\]\.sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"/);
  });

  it("denies with the webhook's message and code, and sends upstream's AdmissionReview", async () => {
    hooks.handle("/deny", () => ({ allowed: false, status: { code: 403, reason: "Forbidden", message: "configmaps labelled deny are not welcome" } }));
    // The server's cache of configurations follows a watch: the webhook is in force once a dry run is refused.
    await eventually(async () => (await kubectl.run(["create", "--dry-run=server", "-f", "-"], { input: configMap("probe", "deny") })).code !== 0);
    const before = hooks.received.length;
    const refused = await kubectl.run(["create", "-f", "-"], { input: configMap("denied", "deny") });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Error from server \(Forbidden\): error when creating "STDIN": admission webhook "deny\.webhooks\.example\.com" denied the request: configmaps labelled deny are not welcome/);
    assert.equal((await kubectl.run(["get", "configmap", "denied"])).code, 1, "nothing was created");
    const review = hooks.received.slice(before).find((r) => r.request.name === "denied")!;
    assert.equal(review.apiVersion, "admission.k8s.io/v1");
    assert.equal(review.query, "?timeout=10s");
    const r = review.request;
    assert.match(r.uid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(r.kind, { group: "", version: "v1", kind: "ConfigMap" });
    assert.deepEqual(r.resource, { group: "", version: "v1", resource: "configmaps" });
    assert.deepEqual(r.requestKind, r.kind);
    assert.deepEqual(r.requestResource, r.resource);
    assert.equal(r.operation, "CREATE");
    assert.equal(r.namespace, "default");
    assert.equal(r.dryRun, false);
    assert.equal(r.options?.kind, "CreateOptions");
    assert.equal(r.object?.metadata?.labels?.["webhook-test"], "deny");
    assert.equal(r.oldObject, null);
    assert.ok(r.userInfo.groups?.includes("system:masters"), JSON.stringify(r.userInfo));

    // An object the selector does not pick is never sent.
    await kubectl.ok(["create", "-f", "-"], { input: configMap("welcome", "other") });
    assert.ok(!hooks.received.some((x) => x.request.name === "welcome"));
    // UPDATE carries the stored object as oldObject; a denial without a code is a 400.
    hooks.handle("/deny", (rv) => (rv.request.operation === "UPDATE" ? { allowed: false, status: { message: "no relabelling" } } : { allowed: true }));
    const relabel = await kubectl.run(["label", "configmap", "welcome", "webhook-test=deny", "--overwrite"]);
    assert.match(relabel.stderr, /admission webhook "deny\.webhooks\.example\.com" denied the request: no relabelling/);
    const update = hooks.received.filter((x) => x.request.operation === "UPDATE").at(-1)!;
    assert.equal(update.request.oldObject?.metadata?.labels?.["webhook-test"], "other");
    assert.equal(update.request.options?.kind, "UpdateOptions");
    await uninstall("validatingwebhookconfiguration", "deny-configmaps");
  });

  it("mutates with a JSONPatch and relays the webhook's warnings to kubectl", async () => {
    hooks.handle("/mutate", () => ({
      allowed: true, warnings: ["this configmap was labelled by a webhook"], auditAnnotations: { why: "labelled" },
      patch: [{ op: "add", path: "/metadata/labels/mutated", value: "yes" }],
    }));
    await install("MutatingWebhookConfiguration", { name: "mutate.webhooks.example.com", path: "/mutate", label: "mutate" });
    const created = await kubectl.run(["create", "-f", "-"], { input: configMap("mutated", "mutate") });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /^Warning: this configmap was labelled by a webhook$/m);
    const stored = await json(["get", "configmap", "mutated", "--show-managed-fields"]);
    assert.equal(stored.metadata.labels.mutated, "yes");
    // What the store adds after admission lands on the patched object: kubectl's managedFields entry.
    assert.equal(stored.metadata.managedFields?.[0]?.manager, "kubectl-create");
    const relabelled = await kubectl.run(["label", "configmap", "mutated", "again=yes"]);
    assert.equal(relabelled.code, 0, relabelled.stderr);
    assert.ok((await json(["get", "configmap", "mutated", "--show-managed-fields"])).metadata.managedFields.some((f: { manager: string }) => f.manager === "kubectl-label"));
    // The audit event of the create carries the webhook's annotation, under its name, and upstream's mutation record.
    type AuditEvent = { verb: string; stage: string; objectRef?: { name?: string }; annotations?: Record<string, string> };
    const event = await eventually(() => (existsSync(auditLog) ? readFileSync(auditLog, "utf8") : "").split("\n").filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent).find((e) => e.verb === "create" && e.stage === "ResponseComplete" && e.objectRef?.name === "mutated"));
    assert.equal(event!.annotations?.["mutate.webhooks.example.com/why"], "labelled");
    assert.deepEqual(JSON.parse(event!.annotations?.["mutation.webhook.admission.k8s.io/round_0_index_0"] ?? "{}"), { configuration: "mutate", webhook: "mutate.webhooks.example.com", mutated: true });
    // As upstream, the name is generated after mutating admission: the webhook sees generateName and no name.
    const generated = JSON.parse(configMap("", "mutate"));
    generated.metadata = { generateName: "generated-", labels: generated.metadata.labels };
    const made = await kubectl.ok(["create", "-f", "-", "-o", "jsonpath={.metadata.name}"], { input: JSON.stringify(generated) });
    assert.match(made, /^generated-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const review = hooks.received.find((r) => r.path === "/mutate" && r.request.object?.metadata?.generateName === "generated-");
    assert.equal(review?.request.name ?? "", "");
    assert.equal(review?.request.object?.metadata?.name, undefined);
    assert.equal((await json(["get", "configmap", made])).metadata.labels.mutated, "yes");
    await uninstall("mutatingwebhookconfiguration", "mutate.webhooks.example.com");
  });

  it("reinvokes an IfNeeded webhook once a later webhook changed the object", async () => {
    let firstCalls = 0;
    hooks.handle("/first", (rv) => {
      firstCalls++;
      // Copies the second webhook's label, once there is one to copy.
      const second = rv.request.object?.metadata?.labels?.second;
      return second ? { allowed: true, patch: [{ op: "add", path: "/metadata/labels/copied", value: second }] } : { allowed: true };
    });
    hooks.handle("/second", () => ({ allowed: true, patch: [{ op: "add", path: "/metadata/labels/second", value: "two" }] }));
    // Configurations are called in name order: a-first before b-second.
    await kubectl.ok(["apply", "-f", "-"], { input: configuration("MutatingWebhookConfiguration", { name: "b-second.webhooks.example.com", path: "/second", label: "reinvoke" }) });
    await install("MutatingWebhookConfiguration", { name: "a-first.webhooks.example.com", path: "/first", label: "reinvoke", reinvocationPolicy: "IfNeeded" });
    firstCalls = 0;
    await kubectl.ok(["create", "-f", "-"], { input: configMap("reinvoked", "reinvoke") });
    const labels = (await json(["get", "configmap", "reinvoked"])).metadata.labels;
    assert.equal(labels.second, "two");
    assert.equal(labels.copied, "two");
    assert.equal(firstCalls, 2);
    await uninstall("mutatingwebhookconfiguration", "a-first");
    await uninstall("mutatingwebhookconfiguration", "b-second");
  });

  it("runs the built-in mutating plugins again after a webhook changed the object, so a sidecar it adds gets their defaults", async () => {
    await kubectl.ok(["create", "namespace", "sidecars"]);
    await kubectl.ok(["create", "-n", "sidecars", "-f", "-"], { input: JSON.stringify({
      apiVersion: "v1", kind: "LimitRange", metadata: { name: "defaults" },
      spec: { limits: [{ type: "Container", defaultRequest: { cpu: "100m" }, default: { cpu: "200m" } }] },
    }) });
    await eventually(async () => (await kubectl.run(["get", "serviceaccount", "default", "-n", "sidecars"])).code === 0);
    hooks.handle("/sidecar", (rv) => {
      const containers = (rv.request.object as { spec?: { containers?: { name: string }[] } } | null)?.spec?.containers ?? [];
      return containers.some((c) => c.name === "sidecar") ? { allowed: true }
        : { allowed: true, patch: [{ op: "add", path: "/spec/containers/-", value: { name: "sidecar", image: "busybox" } }] };
    });
    const hook = JSON.parse(configuration("MutatingWebhookConfiguration", { name: "sidecar.webhooks.example.com", path: "/sidecar", label: "sidecar" }));
    hook.webhooks[0].rules = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }];
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(hook) });
    const pod = (name: string) => JSON.stringify({
      apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "sidecars", labels: { "webhook-test": "sidecar" } },
      spec: { containers: [{ name: "app", image: "busybox" }] },
    });
    await eventually(async () => {
      const dry = await kubectl.run(["create", "--dry-run=server", "-f", "-", "-o", "json"], { input: pod("probe") });
      return dry.code === 0 && JSON.parse(dry.stdout).spec.containers.length === 2;
    });
    const before = hooks.received.length;
    await kubectl.ok(["create", "-f", "-"], { input: pod("with-sidecar") });
    const stored = await json(["get", "pod", "with-sidecar", "-n", "sidecars"]);
    const [app, sidecar] = stored.spec.containers as { name: string; resources?: { requests?: { cpu?: string }; limits?: { cpu?: string } }; volumeMounts?: { name: string; mountPath: string }[] }[];
    assert.equal(sidecar?.name, "sidecar");
    // ServiceAccount mounted the token into the container the webhook added, with the app's volume, and LimitRanger defaulted it.
    const tokenMount = (c: typeof app) => c?.volumeMounts?.find((m) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount");
    assert.match(tokenMount(sidecar)?.name ?? "", /^kube-api-access-[a-z0-9]{5}$/);
    assert.equal(tokenMount(sidecar)?.name, tokenMount(app)?.name);
    assert.equal(stored.spec.volumes.filter((v: { name: string }) => v.name.startsWith("kube-api-access-")).length, 1);
    assert.deepEqual(sidecar?.resources, { requests: { cpu: "100m" }, limits: { cpu: "200m" } });
    assert.match(stored.metadata.annotations["kubernetes.io/limit-ranger"], /cpu request for container sidecar; cpu limit for container sidecar/);
    // The webhook (reinvocationPolicy Never) was called once, after the built-in plugins' first round.
    const reviews = hooks.received.slice(before).filter((r) => r.path === "/sidecar" && r.request.name === "with-sidecar");
    assert.equal(reviews.length, 1);
    assert.equal((reviews[0]!.request.object as { spec: { containers: unknown[] } }).spec.containers.length, 1);
    await kubectl.ok(["delete", "mutatingwebhookconfiguration", "sidecar"]);
    await kubectl.ok(["delete", "namespace", "sidecars", "--wait=false"]);
  });

  it("enforces timeoutSeconds: Fail refuses with upstream's message, Ignore lets the request through", async () => {
    hooks.handle("/slow", (rv) => (rv.request.name === "probe" ? { allowed: true } : { allowed: true, delayMs: 2500 }));
    await install("ValidatingWebhookConfiguration", { name: "slow.webhooks.example.com", path: "/slow", label: "slow", timeoutSeconds: 1 });
    const failed = await kubectl.run(["create", "-f", "-"], { input: configMap("slow-fail", "slow") });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, new RegExp(`Error from server \\(InternalError\\): error when creating "STDIN": Internal error occurred: failed calling webhook "slow\\.webhooks\\.example\\.com": failed to call webhook: Post "https://127\\.0\\.0\\.1:${hooks.port}/slow\\?timeout=1s": context deadline exceeded`));
    assert.equal((await kubectl.run(["get", "configmap", "slow-fail"])).code, 1);

    await kubectl.ok(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "slow.webhooks.example.com", path: "/slow", label: "slow", timeoutSeconds: 1, failurePolicy: "Ignore" }) });
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: configMap("slow-ignored", "slow") })).code === 0, 15_000);
    await kubectl.ok(["get", "configmap", "slow-ignored"]);
    await uninstall("validatingwebhookconfiguration", "slow");
  });

  it("applies the failurePolicy to an unreachable webhook", async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    await kubectl.ok(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "gone.webhooks.example.com", path: "/gone", label: "gone", url: `${closed}/gone` }) });
    const refused = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: configMap("unreached", "gone") });
      return r.code !== 0 ? r : undefined;
    });
    assert.match(refused!.stderr, new RegExp(`Internal error occurred: failed calling webhook "gone\\.webhooks\\.example\\.com": failed to call webhook: Post "${closed.replace(/\./g, "\\.")}/gone\\?timeout=10s": dial tcp 127\\.0\\.0\\.1:\\d+: connect: connection refused`));
    await kubectl.ok(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "gone.webhooks.example.com", path: "/gone", label: "gone", url: `${closed}/gone`, failurePolicy: "Ignore" }) });
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: configMap("unreached", "gone") })).code === 0);
    await uninstall("validatingwebhookconfiguration", "gone");
    const metrics = await kubectl.ok(["get", "--raw", "/metrics"]);
    assert.match(metrics, /^apiserver_admission_webhook_rejection_count\{name="gone\.webhooks\.example\.com",type="validating",operation="CREATE",error_type="calling_webhook_error",rejection_code="0"\} [1-9]/m);
    assert.match(metrics, /^apiserver_admission_webhook_fail_open_count\{name="gone\.webhooks\.example\.com",type="validating"\} 1$/m);
  });

  it("verifies the webhook's certificate against caBundle", async () => {
    await using other = await startWebhookServer();
    const wrongCa = JSON.parse(configuration("ValidatingWebhookConfiguration", { name: "tls.webhooks.example.com", path: "/tls", label: "tls" }));
    wrongCa.webhooks[0].clientConfig.caBundle = other.caBundle;
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(wrongCa) });
    const refused = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: configMap("untrusted", "tls") });
      return r.code !== 0 ? r : undefined;
    });
    assert.match(refused!.stderr, /failed calling webhook "tls\.webhooks\.example\.com": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/tls\?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority/);
    assert.ok(!hooks.received.some((r) => r.request.name === "untrusted"), "nothing was sent to an unverified server");
    wrongCa.webhooks[0].clientConfig.caBundle = Buffer.from("not a certificate").toString("base64");
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(wrongCa) });
    const unusable = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: configMap("untrusted", "tls") });
      return /could not get REST client/.test(r.stderr) ? r : undefined;
    });
    assert.match(unusable!.stderr, /Internal error occurred: failed calling webhook "tls\.webhooks\.example\.com": could not get REST client: unable to load root certificates/);
    await uninstall("validatingwebhookconfiguration", "tls");
  });

  it("calls a webhook only for namespaces its namespaceSelector picks", async () => {
    await kubectl.ok(["create", "namespace", "enforced"]);
    await kubectl.ok(["label", "namespace", "enforced", "webhooks=enforced"]);
    await kubectl.ok(["create", "namespace", "relaxed"]);
    hooks.handle("/ns", () => ({ allowed: false, status: { message: "this namespace is enforced" } }));
    await install("ValidatingWebhookConfiguration", {
      name: "ns.webhooks.example.com", path: "/ns", label: "ns", namespaceSelector: { matchLabels: { webhooks: "enforced" } },
    }, "enforced");
    await kubectl.ok(["create", "-f", "-"], { input: configMap("free", "ns", "relaxed") });
    const refused = await kubectl.run(["create", "-f", "-"], { input: configMap("bound", "ns", "enforced") });
    assert.match(refused.stderr, /admission webhook "ns\.webhooks\.example\.com" denied the request: this namespace is enforced/);
    assert.ok(!hooks.received.some((r) => r.request.namespace === "relaxed"));
    await uninstall("validatingwebhookconfiguration", "ns");
  });

  it("asks the server's authorizer from matchConditions, as the request's user", async () => {
    // dave may create configmaps in default but not delete them; the webhook is only for those who may.
    await kubectl.ok(["create", "role", "cm-creator", "--verb=create", "--resource=configmaps"]);
    await kubectl.ok(["create", "rolebinding", "dave-creates", "--role=cm-creator", "--user=dave"]);
    hooks.handle("/deleters", () => ({ allowed: false, status: { message: "deleters are checked" } }));
    await install("ValidatingWebhookConfiguration", {
      name: "deleters.webhooks.example.com", path: "/deleters", label: "deleters",
      matchConditions: [
        { name: "may-delete", expression: "authorizer.group('').resource('configmaps').namespace(request.namespace).check('delete').allowed()" },
        { name: "may-create", expression: "authorizer.requestResource.check('create').allowed() && authorizer.path('/healthz').check('get').allowed()" },
      ],
    });
    const admin = await kubectl.run(["create", "-f", "-"], { input: configMap("by-admin", "deleters") });
    assert.match(admin.stderr, /admission webhook "deleters\.webhooks\.example\.com" denied the request: deleters are checked/);
    const before = hooks.received.filter((r) => r.path === "/deleters").length;
    const dave = await kubectl.run(["create", "-f", "-", "--as=dave"], { input: configMap("by-dave", "deleters") });
    assert.equal(dave.code, 0, dave.stderr);
    assert.equal(hooks.received.filter((r) => r.path === "/deleters").length, before, "dave may not delete: the webhook is not called");
    await uninstall("validatingwebhookconfiguration", "deleters");
  });

  it("calls a webhook only when its matchConditions hold, and applies its failurePolicy to a condition that fails to evaluate", async () => {
    hooks.handle("/conditions", () => ({ allowed: false, status: { message: "conditions held" } }));
    await install("ValidatingWebhookConfiguration", {
      name: "conditions.webhooks.example.com", path: "/conditions", label: "conditions",
      matchConditions: [
        { name: "not-exempt", expression: "!has(object.metadata.annotations) || !('exempt' in object.metadata.annotations)" },
        { name: "by-admin", expression: "request.userInfo.username == 'admin' && request.operation == 'CREATE'" },
      ],
    });
    const before = hooks.received.filter((r) => r.path === "/conditions").length;
    const exempt = JSON.parse(configMap("exempt", "conditions"));
    exempt.metadata.annotations = { exempt: "yes" };
    await kubectl.ok(["create", "-f", "-"], { input: JSON.stringify(exempt) });
    assert.equal(hooks.received.filter((r) => r.path === "/conditions").length, before, "a false condition: the webhook is not called");
    const refused = await kubectl.run(["create", "-f", "-"], { input: configMap("held", "conditions") });
    assert.match(refused.stderr, /admission webhook "conditions\.webhooks\.example\.com" denied the request: conditions held/);
    // A condition that cannot compile is refused when the configuration is written.
    const bad = await kubectl.run(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "conditions.webhooks.example.com", path: "/conditions", label: "conditions", matchConditions: [{ name: "broken", expression: "object.metadata.name ==" }] }) });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "object\.metadata\.name ==": compilation failed/);
    // A condition that fails at run time: Fail refuses with a Forbidden, Ignore skips the webhook.
    await kubectl.ok(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "conditions.webhooks.example.com", path: "/conditions", label: "conditions", matchConditions: [{ name: "needs-spec", expression: "object.spec.replicas > 1" }] }) });
    const failed = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: configMap("closed", "conditions") });
      return /forbidden/.test(r.stderr) ? r : undefined;
    });
    assert.match(failed!.stderr, /configmaps "closed" is forbidden: expression 'object\.spec\.replicas > 1' resulted in error: no such key: spec/);
    await kubectl.ok(["apply", "-f", "-"], { input: configuration("ValidatingWebhookConfiguration", { name: "conditions.webhooks.example.com", path: "/conditions", label: "conditions", failurePolicy: "Ignore", matchConditions: [{ name: "needs-spec", expression: "object.spec.replicas > 1" }] }) });
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: configMap("open", "conditions") })).code === 0 || undefined);
    await uninstall("validatingwebhookconfiguration", "conditions");
    // What it did is on the API server's /metrics, in upstream's families.
    const metrics = await kubectl.ok(["get", "--raw", "/metrics"]);
    const series = (family: string, labels: string) => new RegExp(`^${family}\\{${labels.replaceAll(".", "\\.")}\\} [1-9]`, "m");
    assert.match(metrics, series("apiserver_admission_webhook_request_total", 'name="conditions.webhooks.example.com",type="validating",operation="CREATE",code="400",rejected="true"'));
    assert.match(metrics, series("apiserver_admission_webhook_rejection_count", 'name="conditions.webhooks.example.com",type="validating",operation="CREATE",error_type="no_error",rejection_code="400"'));
    assert.match(metrics, series("apiserver_admission_match_condition_exclusions_total", 'name="conditions.webhooks.example.com",kind="webhook",type="validating",operation="CREATE"'));
    assert.match(metrics, series("apiserver_admission_match_condition_evaluation_errors_total", 'name="conditions.webhooks.example.com",kind="webhook",type="validating",operation="CREATE"'));
    assert.match(metrics, /^apiserver_admission_webhook_admission_duration_seconds_count\{name="conditions\.webhooks\.example\.com",type="validating",operation="CREATE",rejected="true"\} [1-9]/m);
  });

  it("reaches a webhook through its Service's endpoint, verified as <svc>.<ns>.svc", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: fixture("service.yaml", { WEBHOOK_PORT: hooks.port }) });
    hooks.handle("/via-service", (rv) => (rv.request.name === "probe" ? { allowed: true } : { allowed: false, status: { message: "answered through the Service" } }));
    await install("ValidatingWebhookConfiguration", {
      name: "svc.webhooks.example.com", path: "/via-service", label: "svc", service: { namespace: "hooks", name: "hook", path: "/via-service" },
    });
    const refused = await kubectl.run(["create", "-f", "-"], { input: configMap("through-service", "svc") });
    assert.match(refused.stderr, /admission webhook "svc\.webhooks\.example\.com" denied the request: answered through the Service/);
    // Without a ready endpoint the call fails, and failurePolicy Fail refuses with the resolver's reason.
    await kubectl.ok(["delete", "endpointslice", "hook-1", "-n", "hooks"]);
    const noEndpoint = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: configMap("no-endpoint", "svc") });
      return /no endpoints available/.test(r.stderr) ? r : undefined;
    });
    assert.match(noEndpoint!.stderr, /failed calling webhook "svc\.webhooks\.example\.com": failed to call webhook: Post "https:\/\/hook\.hooks\.svc:443\/via-service\?timeout=10s": no endpoints available for service "hook"/);
    await uninstall("validatingwebhookconfiguration", "svc");
  });

  it("tells a webhook about a dry run, which it may deny like any request", async () => {
    hooks.handle("/dry", (rv) => (rv.request.dryRun ? { allowed: false, status: { message: "saw a dry run" } } : { allowed: true }));
    await install("ValidatingWebhookConfiguration", { name: "dry.webhooks.example.com", path: "/dry", label: "dry", sideEffects: "NoneOnDryRun" });
    const refused = await kubectl.run(["create", "--dry-run=server", "-f", "-"], { input: configMap("dry", "dry") });
    assert.match(refused.stderr, /admission webhook "dry\.webhooks\.example\.com" denied the request: saw a dry run/);
    const review = hooks.received.filter((r) => r.path === "/dry").at(-1)!;
    assert.deepEqual(review.request.options?.dryRun, ["All"]);
    await kubectl.ok(["create", "-f", "-"], { input: configMap("dry", "dry") });
    await uninstall("validatingwebhookconfiguration", "dry");
  });

  it("matchPolicy Equivalent sends a request through another version converted to the rule's; Exact does not", async () => {
    hooks.handle("/equivalent", (rv) => {
      const o = rv.request.object as { apiVersion?: string; spec?: { targetCPUUtilizationPercentage?: number } } | null;
      return { allowed: false, status: { message: `saw ${rv.request.kind.version} ${o?.apiVersion} cpu=${o?.spec?.targetCPUUtilizationPercentage} asked as ${rv.request.requestKind.version}/${rv.request.requestResource.version}` } };
    });
    const hpaConfiguration = (matchPolicy: string) => JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "equivalent" },
      webhooks: [{
        name: "equivalent.webhooks.example.com", clientConfig: { url: `${hooks.url}/equivalent`, caBundle: hooks.caBundle },
        rules: [{ apiGroups: ["autoscaling"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["horizontalpodautoscalers"] }],
        matchPolicy, sideEffects: "None", admissionReviewVersions: ["v1"],
      }],
    });
    const hpa = JSON.stringify({
      apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "web" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 3, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }] },
    });
    await kubectl.ok(["apply", "-f", "-"], { input: hpaConfiguration("Equivalent") });
    const refused = await eventually(async () => {
      const r = await kubectl.run(["create", "-f", "-"], { input: hpa });
      return r.code !== 0 ? r : undefined;
    });
    assert.match(refused!.stderr, /admission webhook "equivalent\.webhooks\.example\.com" denied the request: saw v1 autoscaling\/v1 cpu=50 asked as v2\/v2/);
    await kubectl.ok(["apply", "-f", "-"], { input: hpaConfiguration("Exact") });
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: hpa })).code === 0);
    await uninstall("validatingwebhookconfiguration", "equivalent");
  });

  it("speaks AdmissionReview v1beta1 to a webhook that lists only it", async () => {
    hooks.handle("/beta", (rv) => (rv.request.name === "probe" ? { allowed: true } : { allowed: false, status: { message: `spoke ${rv.apiVersion}` } }));
    await install("ValidatingWebhookConfiguration", { name: "beta.webhooks.example.com", path: "/beta", label: "beta", admissionReviewVersions: ["v1beta1"] });
    const refused = await kubectl.run(["create", "-f", "-"], { input: configMap("beta", "beta") });
    assert.match(refused.stderr, /denied the request: spoke admission\.k8s\.io\/v1beta1/);
    await uninstall("validatingwebhookconfiguration", "beta");
  });

  it("admits exec and attach as CONNECT with the options they ask for, and a webhook may deny them", async () => {
    hooks.handle("/connect", (rv) => (rv.request.operation === "CONNECT"
      ? { allowed: false, status: { code: 403, reason: "Forbidden", message: `${rv.request.subResource} to pod '${rv.request.name}' is not allowed` } }
      : { allowed: true }));
    const hook = JSON.parse(configuration("ValidatingWebhookConfiguration", { name: "connect.webhooks.example.com", path: "/connect", label: "unused" }));
    delete hook.webhooks[0].objectSelector;
    hook.webhooks[0].rules = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CONNECT"], resources: ["pods/exec", "pods/attach"] }];
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(hook) });
    await kubectl.ok(["run", "shell", "--image=busybox", "--restart=Never", "--", "sleep", "600"]);

    const exec = await eventually(async () => {
      const r = await kubectl.run(["exec", "shell", "-c", "shell", "--", "echo", "hi"]);
      return /denied the request/.test(r.stderr) ? r : undefined;
    });
    assert.match(exec!.stderr, /admission webhook "connect\.webhooks\.example\.com" denied the request: exec to pod 'shell' is not allowed/);
    const review = hooks.received.filter((r) => r.path === "/connect" && r.request.subResource === "exec").at(-1)!;
    assert.equal(review.request.operation, "CONNECT");
    assert.deepEqual(review.request.kind, { group: "", version: "v1", kind: "PodExecOptions" });
    assert.deepEqual(review.request.resource, { group: "", version: "v1", resource: "pods" });
    assert.equal(review.request.namespace, "default");
    const options = review.request.object as { command?: string[]; container?: string; stdout?: boolean } | null;
    assert.deepEqual(options?.command, ["echo", "hi"]);
    assert.equal(options?.container, "shell");
    assert.equal(options?.stdout, true);

    const attach = await kubectl.run(["attach", "shell", "-c", "shell"], { timeoutMs: 20_000 });
    assert.match(attach.stderr, /denied the request: attach to pod 'shell' is not allowed/);
    assert.equal(hooks.received.filter((r) => r.path === "/connect" && r.request.subResource === "attach").at(-1)?.request.kind.kind, "PodAttachOptions");

    // Without the webhook, the request goes on to the pod, which (on this node-less server) has no host.
    await uninstall("validatingwebhookconfiguration", "connect.webhooks.example.com");
    await eventually(async () => /does not have a host assigned/.test((await kubectl.run(["exec", "shell", "--", "echo", "hi"])).stderr));
    await kubectl.ok(["delete", "pod", "shell", "--grace-period=0", "--force"]);
  });

  it("never calls webhooks for webhook configurations, so a broken one can be removed", async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const lock = JSON.parse(configuration("ValidatingWebhookConfiguration", { name: "lock.webhooks.example.com", path: "/lock", label: "lock", url: `${closed}/lock`, operations: ["*"] }));
    lock.webhooks[0].rules.push({ apiGroups: ["admissionregistration.k8s.io"], apiVersions: ["*"], operations: ["*"], resources: ["*"] });
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify(lock) });
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: configMap("locked", "lock") })).code !== 0);
    await kubectl.ok(["label", "validatingwebhookconfiguration", "lock", "touched=yes"]);
    await kubectl.ok(["delete", "validatingwebhookconfiguration", "lock"]);
    await eventually(async () => (await kubectl.run(["create", "-f", "-"], { input: configMap("locked", "lock") })).code === 0);
  });
});
