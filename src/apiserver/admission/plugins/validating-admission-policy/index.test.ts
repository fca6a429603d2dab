import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "kubernetes-types/admissionregistration/v1.js";
import { isApiError } from "../../../../api/errors.js";
import type { ResourceInfo } from "../../../../api/resources.js";
import type { AdmissionAttributes, AdmissionObject } from "../../admission.js";
import type { Authorizer } from "../../../authorization/authorizer.js";
import { ValidatingAdmissionPolicyPlugin } from "./index.js";

const deployments = { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true, singular: "deployment", subresources: [], verbs: [], storagePrefix: "/registry/deployments" } as ResourceInfo;

function newPolicy(name: string, spec: Partial<NonNullable<ValidatingAdmissionPolicy["spec"]>>): ValidatingAdmissionPolicy {
  return { metadata: { name, generation: 1 }, spec: { matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] } as never] }, ...spec } };
}
const newBinding = (name: string, policyName: string, spec: Partial<NonNullable<ValidatingAdmissionPolicyBinding["spec"]>> = {}): ValidatingAdmissionPolicyBinding =>
  ({ metadata: { name }, spec: { policyName, validationActions: ["Deny"], ...spec } });

function setup(policies: ValidatingAdmissionPolicy[], bindings: ValidatingAdmissionPolicyBinding[], params: AdmissionObject[] = [], authorizer?: Authorizer) {
  return new ValidatingAdmissionPolicyPlugin({
    authorizer,
    policies: () => policies, bindings: () => bindings,
    getNamespace: async (name) => ({ metadata: { name, labels: { env: name === "prod" ? "prod" : "dev" } } }),
    getParams: async (_kind, ns, name) => params.filter((p) => p.metadata.namespace === ns && (!name || p.metadata.name === name)),
  });
}

function attrs(replicas: number, a: Partial<AdmissionAttributes> = {}, warnings: string[] = [], annotations?: Record<string, string>): AdmissionAttributes {
  const object = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "prod" }, spec: { replicas } };
  const audit = annotations ? { addAuditAnnotation: (k: string, v: string) => { annotations[k] = v; } } : {};
  return { info: deployments, operation: "CREATE", object, namespace: "prod", name: "", subresource: "", user: { username: "ann", groups: [] }, dryRun: false, addWarning: (t) => { warnings.push(t); }, ...audit, ...a };
}

async function outcome(p: ValidatingAdmissionPolicyPlugin, a: AdmissionAttributes): Promise<string> {
  try {
    await p.validate(a);
    return "ok";
  } catch (e) {
    if (!isApiError(e)) throw e;
    return `${e.code} ${e.message}`;
  }
}

describe("ValidatingAdmissionPolicy", () => {
  it("checks with the authorizer as the request's user, in validations, variables and matchConditions", async () => {
    // ann may scale deployments in prod; nobody else may do anything.
    const authorizer: Authorizer = { authorize: (a) => a.user.username === "ann" && a.resource === "deployments" && a.subresource === "scale" && a.namespace === "prod"
      ? { decision: "Allow", reason: "RBAC: allowed by RoleBinding \"scalers/prod\"" } : { decision: "NoOpinion", reason: "" } };
    const policy = newPolicy("scalers-only", {
      matchConditions: [{ name: "not-admin", expression: "!authorizer.group('').resource('nodes').check('delete').allowed()" }],
      variables: [{ name: "canScale", expression: "authorizer.group('apps').resource('deployments').subresource('scale').namespace(object.metadata.namespace).check('update')" }],
      validations: [{ expression: "object.spec.replicas <= 1 || variables.canScale.allowed()", messageExpression: "'scaling needs the scale permission: ' + string(object.spec.replicas)" }],
      auditAnnotations: [{ key: "why", valueExpression: "variables.canScale.reason()" }],
    });
    const p = setup([policy], [newBinding("b", "scalers-only")], [], authorizer);
    const annotations: Record<string, string> = {};
    assert.equal(await outcome(p, attrs(3, {}, [], annotations)), "ok");
    assert.deepEqual(annotations, { "scalers-only/why": 'RBAC: allowed by RoleBinding "scalers/prod"' });
    assert.match(await outcome(p, attrs(3, { user: { username: "bob", groups: [] } })), /^422 .*denied request: scaling needs the scale permission: 3$/);
  });


  it("denies with upstream's message, the status following the validation's reason", async () => {
    const p = setup([newPolicy("max", { validations: [{ expression: "object.spec.replicas <= 5" }, { expression: "object.metadata.name != 'web' || object.spec.replicas > 0", message: "web needs a replica", reason: "Forbidden" }] })], [newBinding("max-b", "max")]);
    assert.equal(await outcome(p, attrs(3)), "ok");
    assert.equal(await outcome(p, attrs(6)), `422 deployments.apps "web" is invalid: : ValidatingAdmissionPolicy 'max' with binding 'max-b' denied request: failed expression: object.spec.replicas <= 5`);
    assert.equal(await outcome(p, attrs(0)), `403 deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max' with binding 'max-b' denied request: web needs a replica`);
  });

  it("matches only the rules' resources and operations, the exclusions and selectors aside", async () => {
    const policy = newPolicy("max", { validations: [{ expression: "false" }], matchConstraints: {
      resourceRules: [{ apiGroups: ["apps"], apiVersions: ["*"], operations: ["CREATE"], resources: ["deployments"] } as never],
      namespaceSelector: { matchLabels: { env: "prod" } },
    } });
    const p = setup([policy], [newBinding("b", "max")]);
    assert.match(await outcome(p, attrs(1)), /^422 /);
    assert.equal(await outcome(p, attrs(1, { operation: "UPDATE" })), "ok");
    assert.equal(await outcome(p, attrs(1, { namespace: "dev" })), "ok");
    assert.equal(await outcome(p, attrs(1, { info: { ...deployments, resource: "replicasets" } })), "ok");
    assert.equal(await outcome(p, attrs(1, { subresource: "scale" })), "ok", "a subresource needs deployments/scale");
  });

  it("reads params through paramRef, and follows parameterNotFoundAction", async () => {
    const policy = newPolicy("max", { paramKind: { apiVersion: "v1", kind: "ConfigMap" }, validations: [{ expression: "object.spec.replicas <= int(params.data.max)" }] });
    const limit = { metadata: { name: "limit", namespace: "prod" }, data: { max: "2" } };
    const p = setup([policy], [newBinding("b", "max", { paramRef: { name: "limit", parameterNotFoundAction: "Deny" } })], [limit]);
    assert.equal(await outcome(p, attrs(2)), "ok");
    assert.match(await outcome(p, attrs(3)), /failed expression: object.spec.replicas <= int\(params.data.max\)$/);
    const none = setup([policy], [newBinding("b", "max", { paramRef: { name: "limit", parameterNotFoundAction: "Deny" } })]);
    assert.match(await outcome(none, attrs(1)), /no params found for policy binding with `Deny` parameterNotFoundAction/);
    const allow = setup([policy], [newBinding("b", "max", { paramRef: { name: "limit", parameterNotFoundAction: "Allow" } })]);
    assert.equal(await outcome(allow, attrs(9)), "ok");
    const ignored = setup([{ ...policy, spec: { ...policy.spec, failurePolicy: "Ignore" } }], [newBinding("b", "max", { paramRef: { name: "limit", parameterNotFoundAction: "Deny" } })]);
    assert.equal(await outcome(ignored, attrs(9)), "ok", "a binding's configuration error follows failurePolicy");
  });

  it("warns for Warn, uses variables and messageExpression, and lets failurePolicy Ignore skip errors", async () => {
    const policy = newPolicy("v", {
      variables: [{ name: "r", expression: "object.spec.replicas" }],
      validations: [{ expression: "variables.r < 2", messageExpression: "'replicas ' + string(variables.r) + ' of ' + object.metadata.name" }],
    });
    const warnings: string[] = [];
    const p = setup([policy], [newBinding("w", "v", { validationActions: ["Warn"] })]);
    assert.equal(await outcome(p, attrs(3, {}, warnings)), "ok");
    assert.deepEqual(warnings, ["Validation failed for ValidatingAdmissionPolicy 'v' with binding 'w': replicas 3 of web"]);
    const failing = newPolicy("e", { failurePolicy: "Ignore", validations: [{ expression: "object.spec.missing > 1" }] });
    assert.equal(await outcome(setup([failing], [newBinding("b", "e")]), attrs(1)), "ok");
    assert.match(await outcome(setup([{ ...failing, spec: { ...failing.spec, failurePolicy: "Fail" } }], [newBinding("b", "e")]), attrs(1)), /expression 'object.spec.missing > 1' resulted in error: no such key: missing$/);
  });

  it("applies only where every matchCondition holds", async () => {
    const policy = newPolicy("m", { matchConditions: [{ name: "not-system", expression: "!request.userInfo.username.startsWith('system:')" }], validations: [{ expression: "false", message: "no" }] });
    const p = setup([policy], [newBinding("b", "m")]);
    assert.match(await outcome(p, attrs(1)), /denied request: no$/);
    assert.equal(await outcome(p, attrs(1, { user: { username: "system:admin", groups: [] } })), "ok");
  });

  it("records auditAnnotations as <policy>/<key> for every matching binding, whatever its actions", async () => {
    const policy = newPolicy("replicas", {
      validations: [{ expression: "object.spec.replicas < 100" }],
      auditAnnotations: [
        { key: "high-replica-count", valueExpression: "object.spec.replicas > 50 ? 'Deployment spec.replicas set to ' + string(object.spec.replicas) : null" },
        { key: "empty", valueExpression: "'  '" },
      ],
    });
    // A Warn-only binding: its validations pass, its annotations are still recorded.
    const p = setup([policy], [newBinding("w", "replicas", { validationActions: ["Warn"] })]);
    const high: Record<string, string> = {};
    assert.equal(await outcome(p, attrs(60, {}, [], high)), "ok");
    assert.deepEqual(high, { "replicas/high-replica-count": "Deployment spec.replicas set to 60" });
    const low: Record<string, string> = {};
    assert.equal(await outcome(p, attrs(3, {}, [], low)), "ok");
    assert.deepEqual(low, {}, "null and blank values add nothing");
    // A denied request keeps the annotations of its policies.
    const denied: Record<string, string> = {};
    const d = setup([policy], [newBinding("d", "replicas")]);
    assert.match(await outcome(d, attrs(200, {}, [], denied)), /^422 .*denied request: failed expression: object.spec.replicas < 100$/);
    assert.deepEqual(denied, { "replicas/high-replica-count": "Deployment spec.replicas set to 200" });
  });

  it("joins the distinct values of several bindings' params under one key", async () => {
    const policy = newPolicy("team", { paramKind: { apiVersion: "v1", kind: "ConfigMap" }, auditAnnotations: [{ key: "owner", valueExpression: "params.data.owner" }] });
    const params = [
      { metadata: { name: "a", namespace: "prod" }, data: { owner: "alice" } },
      { metadata: { name: "b", namespace: "prod" }, data: { owner: "bob" } },
    ];
    const bindings = ["a", "b", "a"].map((n, i) => newBinding(`b${i}`, "team", { paramRef: { name: n, parameterNotFoundAction: "Deny" } }));
    const annotations: Record<string, string> = {};
    assert.equal(await outcome(setup([policy], bindings, params), attrs(1, {}, [], annotations)), "ok");
    assert.deepEqual(annotations, { "team/owner": "alice, bob" });
  });

  it("follows failurePolicy for an annotation that fails to evaluate, and refuses a value that is not a string", async () => {
    const failing = newPolicy("a", { auditAnnotations: [{ key: "k", valueExpression: "object.spec.missing" }] });
    assert.equal(await outcome(setup([failing], [newBinding("b", "a", { validationActions: ["Audit"] })]), attrs(1)),
      `422 deployments.apps "web" is invalid: : ValidatingAdmissionPolicy 'a' with binding 'b' denied request: expression 'object.spec.missing' resulted in error: no such key: missing`);
    const ignored = { ...failing, spec: { ...failing.spec, failurePolicy: "Ignore" } };
    const annotations: Record<string, string> = {};
    assert.equal(await outcome(setup([ignored], [newBinding("b", "a")]), attrs(1, {}, [], annotations)), "ok");
    assert.deepEqual(annotations, {});
    const number = newPolicy("n", { failurePolicy: "Ignore", auditAnnotations: [{ key: "k", valueExpression: "object.spec.replicas" }] });
    assert.equal(await outcome(setup([number], [newBinding("b", "n")]), attrs(1)),
      `422 deployments.apps "web" is invalid: : ValidatingAdmissionPolicy 'n' with binding 'b' denied request: valueExpression 'object.spec.replicas' resulted in unsupported return type: int. Return type must be either string or null.`);
  });

  it("evaluates every policy before refusing with the first denial", async () => {
    const first = newPolicy("first", { validations: [{ expression: "false", message: "first says no" }] });
    const second = newPolicy("second", { validations: [{ expression: "false", message: "second warns" }], auditAnnotations: [{ key: "seen", valueExpression: "'yes'" }] });
    const warnings: string[] = [];
    const annotations: Record<string, string> = {};
    const p = setup([first, second], [newBinding("f", "first"), newBinding("s", "second", { validationActions: ["Warn"] })]);
    assert.match(await outcome(p, attrs(1, {}, warnings, annotations)), /'first' with binding 'f' denied request: first says no$/);
    assert.deepEqual(warnings, ["Validation failed for ValidatingAdmissionPolicy 'second' with binding 's': second warns"]);
    assert.deepEqual(annotations, { "second/seen": "yes" });
  });
});
