import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PolicyEvaluator, validatePolicy, type AuditAttributes } from "./policy.js";
import type { Policy, PolicyRule } from "./types.js";

const admin = { username: "admin", groups: ["system:masters", "system:authenticated"] };
const alice = { username: "alice", groups: ["dev", "system:authenticated"] };

function request(over: Partial<AuditAttributes> = {}): AuditAttributes {
  return { user: alice, verb: "get", resourceRequest: true, path: "/api/v1/namespaces/default/pods/web", apiGroup: "", apiVersion: "v1", resource: "pods", subresource: "", namespace: "default", name: "web", ...over };
}
const nonResource = (path: string, over: Partial<AuditAttributes> = {}) =>
  request({ resourceRequest: false, path, resource: "", namespace: "", name: "", apiVersion: "", verb: "get", ...over });

function policy(rules: PolicyRule[], extra: Partial<Policy> = {}): Policy {
  return { apiVersion: "audit.k8s.io/v1", kind: "Policy", rules, ...extra };
}

describe("audit policy: which rule matches", () => {
  const cases: [string, PolicyRule, AuditAttributes, boolean][] = [
    ["a rule with no conditions matches everything", { level: "Metadata" }, request(), true],
    ["users", { level: "Metadata", users: ["alice"] }, request(), true],
    ["users, another", { level: "Metadata", users: ["bob"] }, request(), false],
    ["users, no user (failed authentication)", { level: "Metadata", users: ["alice"] }, request({ user: undefined }), false],
    ["userGroups, any one", { level: "Metadata", userGroups: ["ops", "dev"] }, request(), true],
    ["userGroups, none", { level: "Metadata", userGroups: ["ops"] }, request(), false],
    ["verbs", { level: "Metadata", verbs: ["get", "list"] }, request(), true],
    ["verbs, other", { level: "Metadata", verbs: ["watch"] }, request(), false],
    ["namespaces", { level: "Metadata", namespaces: ["default"] }, request(), true],
    ["namespaces, other", { level: "Metadata", namespaces: ["kube-system"] }, request(), false],
    ["namespaces \"\" is cluster scope", { level: "Metadata", namespaces: [""] }, request({ resource: "nodes", namespace: "" }), true],
    ["namespaces never match a non-resource request", { level: "Metadata", namespaces: [""] }, nonResource("/healthz"), false],
    ["resources in the core group", { level: "Metadata", resources: [{ group: "", resources: ["pods"] }] }, request(), true],
    ["resources: group absent is the core group", { level: "Metadata", resources: [{ resources: ["pods"] }] }, request(), true],
    ["resources: another group", { level: "Metadata", resources: [{ group: "apps", resources: ["pods"] }] }, request(), false],
    ["resources: a group with no resources is all of it", { level: "Metadata", resources: [{ group: "apps" }] }, request({ apiGroup: "apps", resource: "deployments" }), true],
    ["resources: pods does not cover pods/log", { level: "Metadata", resources: [{ resources: ["pods"] }] }, request({ subresource: "log" }), false],
    ["resources: pods/log", { level: "Metadata", resources: [{ resources: ["pods/log"] }] }, request({ subresource: "log" }), true],
    ["resources: * covers subresources", { level: "Metadata", resources: [{ resources: ["*"] }] }, request({ subresource: "status" }), true],
    ["resources: */status", { level: "Metadata", resources: [{ resources: ["*/status"] }] }, request({ resource: "deployments", subresource: "status" }), true],
    ["resources: */status, not the main resource", { level: "Metadata", resources: [{ resources: ["*/status"] }] }, request(), false],
    ["resources: pods/*", { level: "Metadata", resources: [{ resources: ["pods/*"] }] }, request({ subresource: "exec" }), true],
    ["resources: pods/* covers the main resource too", { level: "Metadata", resources: [{ resources: ["pods/*"] }] }, request(), true],
    ["resourceNames", { level: "Metadata", resources: [{ resources: ["configmaps"], resourceNames: ["cfg"] }] }, request({ resource: "configmaps", name: "cfg" }), true],
    ["resourceNames, other", { level: "Metadata", resources: [{ resources: ["configmaps"], resourceNames: ["cfg"] }] }, request({ resource: "configmaps", name: "x" }), false],
    ["resources never match a non-resource request", { level: "Metadata", resources: [{ resources: ["*"] }] }, nonResource("/api"), false],
    ["nonResourceURLs exact", { level: "Metadata", nonResourceURLs: ["/healthz"] }, nonResource("/healthz"), true],
    ["nonResourceURLs prefix*", { level: "Metadata", nonResourceURLs: ["/api*"] }, nonResource("/apis/apps/v1"), true],
    ["nonResourceURLs prefix* not matching", { level: "Metadata", nonResourceURLs: ["/version*"] }, nonResource("/healthz"), false],
    ["nonResourceURLs *", { level: "Metadata", nonResourceURLs: ["*"] }, nonResource("/metrics"), true],
    ["nonResourceURLs never match a resource request", { level: "Metadata", nonResourceURLs: ["*"] }, request(), false],
  ];
  for (const [name, rule, attrs, matches] of cases) {
    it(name, () => {
      const got = new PolicyEvaluator(policy([rule])).evaluate(attrs).level;
      assert.equal(got, matches ? "Metadata" : "None");
    });
  }
});

describe("audit policy: evaluation", () => {
  it("takes the first matching rule, in order", () => {
    const p = new PolicyEvaluator(policy([
      { level: "None", users: ["system:kube-proxy"], verbs: ["watch"] },
      { level: "RequestResponse", resources: [{ resources: ["secrets"] }], users: ["admin"] },
      { level: "Metadata", resources: [{ resources: ["secrets", "configmaps"] }] },
      { level: "Request" },
    ]));
    assert.equal(p.evaluate(request({ user: { username: "system:kube-proxy", groups: [] }, verb: "watch" })).level, "None");
    assert.equal(p.evaluate(request({ user: admin, resource: "secrets" })).level, "RequestResponse");
    assert.equal(p.evaluate(request({ resource: "secrets" })).level, "Metadata");
    assert.equal(p.evaluate(request()).level, "Request");
  });

  it("joins the policy's omitStages with the rule's, and takes omitManagedFields from the rule before the policy", () => {
    const p = new PolicyEvaluator(policy([
      { level: "Metadata", verbs: ["get"], omitStages: ["ResponseStarted"], omitManagedFields: false },
      { level: "Request" },
    ], { omitStages: ["RequestReceived"], omitManagedFields: true }));
    const get = p.evaluate(request());
    assert.deepEqual([...get.omitStages].sort(), ["RequestReceived", "ResponseStarted"]);
    assert.equal(get.omitManagedFields, false);
    const list = p.evaluate(request({ verb: "list" }));
    assert.deepEqual(list.omitStages, ["RequestReceived"]);
    assert.equal(list.omitManagedFields, true);
  });

  it("is level None with the policy's omitStages when no rule matches", () => {
    assert.deepEqual(new PolicyEvaluator(policy([{ level: "Metadata", users: ["x"] }], { omitStages: ["Panic"] })).evaluate(request()), { level: "None", omitStages: ["Panic"], omitManagedFields: false });
  });
});

describe("audit policy: validation", () => {
  const cases: [string, unknown, RegExp | undefined][] = [
    ["a good policy", policy([{ level: "Metadata", omitStages: ["RequestReceived"] }]), undefined],
    ["wrong kind", { apiVersion: "audit.k8s.io/v1", kind: "Nope", rules: [{ level: "None" }] }, /no kind "Nope"/],
    ["no rules", policy([]), /0 rules/],
    ["bad level", policy([{ level: "Everything" as "None" }]), /rules\[0\]\.level: Unsupported value: "Everything"/],
    ["missing level", policy([{} as PolicyRule]), /rules\[0\]\.level: Required value/],
    ["bad stage", policy([{ level: "None", omitStages: ["Done" as "Panic"] }]), /rules\[0\]\.omitStages: Unsupported value: "Done"/],
    ["bad policy stage", policy([{ level: "None" }], { omitStages: ["Later" as "Panic"] }), /^omitStages: Unsupported value/],
    ["resources and nonResourceURLs", policy([{ level: "None", resources: [{ resources: ["pods"] }], nonResourceURLs: ["/healthz"] }]), /cannot apply to both/],
    ["a wildcard inside a URL", policy([{ level: "None", nonResourceURLs: ["/api/*/v1"] }]), /final character/],
    ["a URL without a slash", policy([{ level: "None", nonResourceURLs: ["healthz"] }]), /must begin with a '\/'/],
    ["resourceNames alone", policy([{ level: "None", resources: [{ resourceNames: ["x"] }] }]), /requires at least one resource/],
  ];
  for (const [name, doc, want] of cases) {
    it(name, () => {
      const errors = validatePolicy(doc);
      if (!want) assert.deepEqual(errors, []);
      else assert.match(errors.join("\n"), want);
    });
  }
});
