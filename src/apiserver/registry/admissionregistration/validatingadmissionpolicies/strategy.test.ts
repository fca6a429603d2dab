import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValidatingAdmissionPolicy } from "kubernetes-types/admissionregistration/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import type { Stored } from "../../strategy.js";
import { validatingAdmissionPolicyStrategy } from "./strategy.js";

const policy = (name: string, spec: Partial<NonNullable<ValidatingAdmissionPolicy["spec"]>>) => ({
  metadata: { name },
  spec: { failurePolicy: "Fail", matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"] }] }, ...spec },
}) as Stored<ValidatingAdmissionPolicy>;
/** The errors as kubectl prints them, without the caret lines of CEL errors. */
const errors = (p: Stored<ValidatingAdmissionPolicy>) => validatingAdmissionPolicyStrategy.validate!(p, undefined).map((e) => `${e.field}: ${fieldErrorMessage(e).split("\n")[0]}`);

describe("ValidatingAdmissionPolicy validation", () => {
  it("checks auditAnnotations as upstream: the key with the policy's name, unique keys, a string or null value", () => {
    assert.deepEqual(errors(policy("demo.example.com", { auditAnnotations: [
      { key: "high-replica-count", valueExpression: "object.spec.replicas > 50 ? 'replicas: ' + string(object.spec.replicas) : null" },
      { key: "owner", valueExpression: "null" },
    ] })), []);
    assert.deepEqual(errors(policy("config", { auditAnnotations: [{ key: "a", valueExpression: "'1'" }, { key: "a", valueExpression: "true" }, { key: "b", valueExpression: " " }] })), [
      'spec.auditAnnotations[1].valueExpression: Invalid value: "true": must evaluate to one of [string null_type]',
      'spec.auditAnnotations[1].key: Duplicate value: "a"',
      "spec.auditAnnotations[2].valueExpression: Required value: valueExpression is not specified",
    ]);
    const [tooLong] = errors(policy("config", { auditAnnotations: [{ key: "k".repeat(64), valueExpression: "'v'" }] }));
    assert.match(tooLong!, /^spec.auditAnnotations\[0\].key: Invalid value: "config\/k{64}": name part must consist of/);
    assert.match(errors(policy("nope!", { auditAnnotations: [{ key: "key", valueExpression: "'v'" }] }))[0]!, /^spec.auditAnnotations\[0\].key: Invalid value: "nope!\/key": prefix part a lowercase RFC 1123 subdomain/);
    assert.deepEqual(errors(policy("config", {})), [
      "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
      "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
    ]);
  });

  it("types the authorizer library where policies may use it, and not in messageExpressions", () => {
    assert.deepEqual(errors(policy("authz", {
      variables: [{ name: "scale", expression: "authorizer.group('apps').resource('deployments').subresource('scale').namespace('ns').name('x').check('update')" }],
      validations: [
        { expression: "variables.scale.allowed() || variables.scale.reason() != '' || variables.scale.errored() || variables.scale.error() != ''" },
        { expression: "authorizer.requestResource.check('create').allowed() && authorizer.path('/healthz').check('get').allowed() && authorizer.serviceAccount('ns', 'sa').group('').resource('pods').check('list').allowed()" },
      ],
      matchConditions: [{ name: "m", expression: "authorizer.group('').resource('pods').check('get').allowed()" }],
    })), []);
    const [wrong, message] = errors(policy("authz", { validations: [{ expression: "authorizer.group('apps').check('get').allowed()", messageExpression: "authorizer.path('/x').check('get').reason()" }] }));
    assert.match(wrong!, /^spec.validations\[0\].expression: Invalid value: .*compilation failed/);
    assert.match(message!, /^spec.validations\[0\].messageExpression: Invalid value: .*compilation failed/);
  });

  it("composes variables in order, and declares params only with a paramKind", () => {
    assert.deepEqual(errors(policy("config", {
      variables: [{ name: "foo", expression: "1 + 1" }, { name: "bar", expression: "variables.foo + 1" }, { name: "baz", expression: "variables.later" }, { name: "later", expression: "true" }],
      validations: [{ expression: "variables.bar > 1" }, { expression: "variables.replicas == 2" }],
    })), [
      "spec.variables[2].expression: Invalid value: \"variables.later\": compilation failed: ERROR: <input>:1:10: undefined field 'later'",
      "spec.validations[1].expression: Invalid value: \"variables.replicas == 2\": compilation failed: ERROR: <input>:1:10: undefined field 'replicas'",
    ]);
    assert.deepEqual(errors(policy("config", { validations: [{ expression: "params.x == 1" }] })),
      ["spec.validations[0].expression: Invalid value: \"params.x == 1\": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')"]);
    assert.deepEqual(errors(policy("config", { paramKind: { apiVersion: "v1", kind: "ConfigMap" }, validations: [{ expression: "params.x == 1", messageExpression: "'x is ' + string(params.x)" }] })), []);
    assert.deepEqual(errors(policy("config", { variables: [{ name: "4ever", expression: "true" }], validations: [{ expression: "true", messageExpression: "0 == 0" }] })), [
      'spec.variables[0].name: Invalid value: "4ever": name is not a valid CEL identifier',
      'spec.validations[0].messageExpression: Invalid value: "0 == 0": must evaluate to string',
    ]);
  });
});
