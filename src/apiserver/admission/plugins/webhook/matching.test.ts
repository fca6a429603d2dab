import type { Authorizer } from "../../../authorization/authorizer.js";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Namespace } from "kubernetes-types/core/v1.js";
import { builtinResources, type ResourceInfo } from "../../../../api/resources.js";
import { isApiError } from "../../../../api/errors.js";
import type { AdmissionAttributes, AdmissionObject, Operation } from "../../admission.js";
import { isExemptAdmissionConfigurationResource } from "./exemption.js";
import { webhookEntries } from "./entries.js";
import { Registry } from "../../../../metrics/index.js";
import { WebhookMetrics } from "./metrics.js";
import { kindOf, matchResource, namespaceSelectorMatches, objectSelectorMatches, ruleMatches, shouldCallHook, type RuleTarget } from "./matching.js";
import type { Rule, Webhook, WebhookEntry } from "./types.js";

/** A test object as a request may send it, without metadata. */
const bare = (o: Partial<AdmissionObject>) => o as AdmissionObject;

const resource = (group: string, version: string, name: string): ResourceInfo => {
  const r = builtinResources.find((x) => x.group === group && x.version === version && x.resource === name);
  if (!r) throw new Error(`no ${group}/${version}/${name}`);
  return r;
};
const pods = resource("", "v1", "pods");
const namespaces = resource("", "v1", "namespaces");
const nodes = resource("", "v1", "nodes");
const hpaV1 = resource("autoscaling", "v1", "horizontalpodautoscalers");
const hpaV2 = resource("autoscaling", "v2", "horizontalpodautoscalers");

const attrs = (a: Partial<AdmissionAttributes> & { info: ResourceInfo }): AdmissionAttributes => ({
  operation: "CREATE", object: { metadata: { name: "x" } }, namespace: a.info.namespaced ? "ns" : "", name: "x", subresource: "",
  user: { username: "u", groups: [] }, dryRun: false, addWarning: () => {}, ...a,
});
const entry = (hook: Partial<Webhook>): WebhookEntry => ({
  hook: { name: "h.example.com", clientConfig: { url: "https://127.0.0.1/" }, sideEffects: "None", admissionReviewVersions: ["v1"], ...hook } as Webhook,
  configuration: "c", key: "c/h.example.com",
});

describe("webhook rules", () => {
  const target = (t: Partial<RuleTarget>): RuleTarget => ({ operation: "CREATE", group: "", version: "v1", resource: "pods", subresource: "", namespaced: true, ...t });
  const rule = (r: Partial<Rule>): Rule => ({ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], ...r });
  const cases: [string, Partial<Rule>, Partial<RuleTarget>, boolean][] = [
    ["the resource itself", {}, {}, true],
    ["not its subresources", {}, { subresource: "status" }, false],
    ["another operation", {}, { operation: "UPDATE" }, false],
    ["every operation", { operations: ["*"] }, { operation: "DELETE" }, true],
    ["another group", {}, { group: "apps" }, false],
    ["every group and version", { apiGroups: ["*"], apiVersions: ["*"] }, { group: "apps", version: "v1beta2" }, true],
    ["pods/status the status subresource", { resources: ["pods/status"] }, { subresource: "status" }, true],
    ["pods/status not the pod", { resources: ["pods/status"] }, {}, false],
    ["pods/* every subresource", { resources: ["pods/*"] }, { subresource: "eviction" }, true],
    ["pods/* the pod itself too, as upstream's matcher", { resources: ["pods/*"] }, {}, true],
    ["*/status of any resource", { resources: ["*/status"] }, { resource: "deployments", subresource: "status" }, true],
    ["*/status not scale", { resources: ["*/status"] }, { resource: "deployments", subresource: "scale" }, false],
    ["* every resource", { resources: ["*"] }, { resource: "services" }, true],
    ["* no subresource", { resources: ["*"] }, { subresource: "status" }, false],
    ["*/* everything", { resources: ["*/*"] }, { resource: "nodes", subresource: "proxy" }, true],
    ["Namespaced scope, namespaced resource", { scope: "Namespaced" }, {}, true],
    ["Namespaced scope, cluster resource", { scope: "Namespaced", resources: ["*"] }, { resource: "nodes", namespaced: false }, false],
    ["Cluster scope, cluster resource", { scope: "Cluster", resources: ["*"] }, { resource: "nodes", namespaced: false }, true],
    ["Cluster scope, namespaced resource", { scope: "Cluster" }, {}, false],
    ["* scope, either", { scope: "*", resources: ["*"] }, { resource: "nodes", namespaced: false }, true],
  ];
  for (const [name, r, t, want] of cases) it(name, () => assert.equal(ruleMatches(rule(r), target(t)), want));
});

describe("matchPolicy", () => {
  const v1Rule: Rule = { apiGroups: ["autoscaling"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["horizontalpodautoscalers"] };
  const equivalents = () => [hpaV2, hpaV1];
  it("Equivalent matches a request through another served version, and names the rule's version", () => {
    const got = matchResource(entry({ rules: [v1Rule] }), attrs({ info: hpaV2 }), equivalents);
    assert.equal(got, hpaV1);
  });
  it("Exact does not", () => {
    assert.equal(matchResource(entry({ rules: [v1Rule], matchPolicy: "Exact" }), attrs({ info: hpaV2 }), equivalents), undefined);
  });
  it("the request's own version wins when a rule names it", () => {
    assert.equal(matchResource(entry({ rules: [v1Rule, { ...v1Rule, apiVersions: ["v2"] }] }), attrs({ info: hpaV2 }), equivalents), hpaV2);
  });
  it("an equivalent needs the request's subresource", () => {
    const noStatus = { ...hpaV1, subresources: [] };
    const rule = { ...v1Rule, resources: ["horizontalpodautoscalers/status"] };
    assert.equal(matchResource(entry({ rules: [rule] }), attrs({ info: hpaV2, subresource: "status" }), () => [hpaV2, noStatus]), undefined);
    assert.equal(matchResource(entry({ rules: [rule] }), attrs({ info: hpaV2, subresource: "status" }), equivalents), hpaV1);
  });
  it("the kind is the subresource's when the object is of it", () => {
    assert.deepEqual(kindOf(pods, "eviction", bare({ kind: "Eviction" })), { group: "policy", version: "v1", kind: "Eviction" });
    assert.deepEqual(kindOf(pods, "status", bare({ kind: "Pod" })), { group: "", version: "v1", kind: "Pod" });
  });
});

describe("selectors", () => {
  const labelled = (labels?: Record<string, string>): AdmissionObject => ({ metadata: { name: "x", labels } });
  it("objectSelector: the new or the old object's labels", () => {
    const sel = { matchLabels: { app: "web" } };
    const check = (operation: Operation, object: AdmissionObject, oldObject?: AdmissionObject) => objectSelectorMatches(sel, { operation, object, oldObject });
    assert.equal(check("CREATE", labelled({ app: "web" })), true);
    assert.equal(check("CREATE", labelled({ app: "db" })), false);
    assert.equal(check("UPDATE", labelled({ app: "db" }), labelled({ app: "web" })), true, "a label taken away still selects");
    assert.equal(check("DELETE", labelled({ app: "web" }), labelled({ app: "db" })), false, "on DELETE the stored object decides");
    assert.equal(objectSelectorMatches({}, { operation: "CREATE", object: labelled() }), true);
    assert.equal(objectSelectorMatches({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, { operation: "CREATE", object: labelled() }), true);
  });

  const ns = (name: string, labels: Record<string, string>): Namespace => ({ metadata: { name, labels } });
  const store: Record<string, Namespace> = { prod: ns("prod", { env: "prod" }), dev: ns("dev", { env: "dev" }) };
  const deps = { getNamespace: async (name: string) => store[name] };
  const sel = { matchLabels: { env: "prod" } };
  it("namespaceSelector: the namespace's labels for a namespaced object", async () => {
    assert.equal(await namespaceSelectorMatches(sel, attrs({ info: pods, namespace: "prod" }), deps), true);
    assert.equal(await namespaceSelectorMatches(sel, attrs({ info: pods, namespace: "dev" }), deps), false);
  });
  it("a cluster-scoped object other than a namespace is always selected", async () => {
    assert.equal(await namespaceSelectorMatches(sel, attrs({ info: nodes }), deps), true);
  });
  it("a namespace being written is judged by its new labels, one being deleted by its stored ones", async () => {
    assert.equal(await namespaceSelectorMatches(sel, attrs({ info: namespaces, name: "dev", object: labelled({ env: "prod" }) }), deps), true);
    assert.equal(await namespaceSelectorMatches(sel, attrs({ info: namespaces, name: "dev", operation: "DELETE", object: labelled({ env: "prod" }) }), deps), false);
  });
  it("a missing namespace is the request's NotFound", async () => {
    await assert.rejects(namespaceSelectorMatches(sel, attrs({ info: pods, namespace: "gone" }), deps), (e) => isApiError(e, "NotFound"));
  });
  it("shouldCallHook: rules, then both selectors", async () => {
    const hook = entry({ rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["*"], resources: ["pods"] }], namespaceSelector: sel, objectSelector: { matchLabels: { app: "web" } } });
    const call = (namespace: string, labels: Record<string, string>) => shouldCallHook(hook, attrs({ info: pods, namespace, object: labelled(labels) }), { ...deps, equivalentResources: () => [pods], convert: (o: AdmissionObject) => o }, "validating");
    assert.ok(await call("prod", { app: "web" }));
    assert.equal(await call("dev", { app: "web" }), undefined);
    assert.equal(await call("prod", { app: "db" }), undefined);
  });
});

describe("matchConditions", () => {
  const deps = { getNamespace: async () => undefined, equivalentResources: () => [pods], convert: (o: AdmissionObject) => o };
  const rules = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["*"], resources: ["pods"] }];
  const withConditions = (conditions: { name: string; expression: string }[], failurePolicy?: "Fail" | "Ignore") =>
    entry({ rules, matchConditions: conditions, ...(failurePolicy ? { failurePolicy } : {}) });
  const pod = (labels: Record<string, string>) => attrs({ info: pods, object: { metadata: { name: "x", labels } } });

  it("calls the webhook when every condition is true, on object, oldObject and request", async () => {
    const hook = withConditions([
      { name: "labelled", expression: "has(object.metadata.labels) && object.metadata.labels.app == 'web'" },
      { name: "not-old", expression: "oldObject == null" },
      { name: "user", expression: "request.userInfo.username == 'u' && request.operation == 'CREATE' && request.resource.resource == 'pods'" },
    ]);
    assert.ok(await shouldCallHook(hook, pod({ app: "web" }), deps, "validating"));
    assert.equal(await shouldCallHook(hook, pod({ app: "db" }), deps, "validating"), undefined);
  });

  it("skips the webhook when one condition is false, even beside an error, and counts both", async () => {
    const registry = new Registry();
    const hook = withConditions([{ name: "broken", expression: "object.spec.nothing == 1" }, { name: "never", expression: "false" }]);
    assert.equal(await shouldCallHook(hook, pod({}), { ...deps, metrics: new WebhookMetrics(registry) }, "validating"), undefined);
    const text = await registry.metrics();
    assert.match(text, /apiserver_admission_match_condition_evaluation_errors_total\{name="h\.example\.com",kind="webhook",type="validating",operation="CREATE"\} 1/);
    assert.match(text, /apiserver_admission_match_condition_exclusions_total\{name="h\.example\.com",kind="webhook",type="validating",operation="CREATE"\} 1/);
  });

  it("fails the request on an error under failurePolicy Fail, with upstream's Forbidden", async () => {
    const hook = withConditions([{ name: "broken", expression: "object.spec.nothing == 1" }]);
    await assert.rejects(shouldCallHook(hook, pod({}), deps, "validating"), (e) => isApiError(e, "Forbidden")
      && /^pods "x" is forbidden: expression 'object.spec.nothing == 1' resulted in error: no such key: spec/.test((e as Error).message));
  });

  it("skips the webhook on an error under failurePolicy Ignore", async () => {
    const hook = withConditions([{ name: "broken", expression: "object.spec.nothing == 1" }], "Ignore");
    assert.equal(await shouldCallHook(hook, pod({}), deps, "validating"), undefined);
  });

  it("checks with the authorizer as the request's user, requestResource being the request's pod", async () => {
    const asked: string[] = [];
    const authorizer: Authorizer = { authorize: (a) => {
      asked.push(`${a.user.username} ${a.verb} ${a.resource}/${a.namespace}/${a.name}`);
      return a.verb === "delete" ? { decision: "Allow", reason: "" } : { decision: "NoOpinion", reason: "" };
    } };
    // The webhook is called only for users who may not delete the pod.
    const hook = withConditions([{ name: "not-deleter", expression: "!authorizer.requestResource.check('delete').allowed()" }]);
    assert.equal(await shouldCallHook(hook, attrs({ info: pods, namespace: "ns", object: { metadata: { name: "x" } } }), { ...deps, authorizer }, "validating"), undefined);
    assert.deepEqual(asked, ["u delete pods/ns/x"]);
    const lister = withConditions([{ name: "lister", expression: "authorizer.group('').resource('pods').check('list').allowed()" }]);
    assert.equal(await shouldCallHook(lister, pod({}), { ...deps, authorizer }, "validating"), undefined);
  });

  it("sees no object on DELETE, only the old one", async () => {
    const hook = withConditions([{ name: "deleting", expression: "object == null && oldObject.metadata.name == 'x'" }]);
    assert.ok(await shouldCallHook(hook, attrs({ info: pods, operation: "DELETE", oldObject: { metadata: { name: "x" } } }), deps, "validating"));
  });
});

describe("order and exemption", () => {
  it("configurations by name, their webhooks in order", () => {
    const cfg = (name: string, hooks: string[]) => ({ metadata: { name }, webhooks: hooks.map((h) => ({ name: h, clientConfig: {}, sideEffects: "None", admissionReviewVersions: ["v1"] })) });
    assert.deepEqual(webhookEntries([cfg("b", ["b1.x.y"]), cfg("a", ["a2.x.y", "a1.x.y"])]).map((e) => e.key), ["a/a2.x.y", "a/a1.x.y", "b/b1.x.y"]);
  });
  it("webhook and policy configurations are exempt", () => {
    assert.equal(isExemptAdmissionConfigurationResource({ info: resource("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations") }), true);
    assert.equal(isExemptAdmissionConfigurationResource({ info: pods }), false);
  });
});
