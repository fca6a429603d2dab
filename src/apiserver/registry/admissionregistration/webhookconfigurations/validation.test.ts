import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MutatingWebhook } from "kubernetes-types/admissionregistration/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import { defaultMutatingWebhook } from "./defaults.js";
import { validateWebhooks } from "./validation.js";

const hook = (h: Record<string, unknown> = {}): MutatingWebhook => ({
  name: "hook.example.com", clientConfig: { url: "https://hook.example.com/admit" }, sideEffects: "None", admissionReviewVersions: ["v1"],
  rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }], ...h,
} as unknown as MutatingWebhook);
const messages = (hooks: MutatingWebhook[]) => validateWebhooks(hooks, true).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe("webhook configuration validation", () => {
  it("accepts a well-formed webhook", () => assert.deepEqual(messages([hook()]), []));
  const cases: [string, Record<string, unknown>, string | RegExp][] = [
    ["a short name", { name: "hook" }, 'webhooks[0].name: Invalid value: "hook": should be a domain with at least three segments separated by dots'],
    ["no sideEffects", { sideEffects: undefined }, "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"],
    ["sideEffects Unknown", { sideEffects: "Unknown" }, 'webhooks[0].sideEffects: Unsupported value: "Unknown": supported values: "None", "NoneOnDryRun"'],
    ["a long timeout", { timeoutSeconds: 31 }, "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"],
    ["an unknown failurePolicy", { failurePolicy: "Maybe" }, 'webhooks[0].failurePolicy: Unsupported value: "Maybe": supported values: "Fail", "Ignore"'],
    ["an unknown matchPolicy", { matchPolicy: "Close" }, 'webhooks[0].matchPolicy: Unsupported value: "Close": supported values: "Equivalent", "Exact"'],
    ["an unknown reinvocationPolicy", { reinvocationPolicy: "Always" }, 'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"'],
    ["no review versions", { admissionReviewVersions: [] }, "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"],
    ["unknown review versions", { admissionReviewVersions: ["v2"] }, 'webhooks[0].admissionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1'],
    ["url and service", { clientConfig: { url: "https://a.b/", service: { namespace: "n", name: "s" } } }, "webhooks[0].clientConfig: Required value: exactly one of url or service is required"],
    ["an http url", { clientConfig: { url: "http://a.b/" } }, `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`],
    ["a url without a scheme", { clientConfig: { url: "hook.example.com/admit" } }, `webhooks[0].clientConfig.url: Invalid value: "": host must be specified; desired format: https://host[/path]`],
    ["a url with a query", { clientConfig: { url: "https://a.b/?x=1" } }, 'webhooks[0].clientConfig.url: Invalid value: "x=1": query parameters are not permitted in the URL'],
    ["a service path without /", { clientConfig: { service: { namespace: "n", name: "s", path: "admit" } } }, `webhooks[0].clientConfig.service.path: Invalid value: "admit": must start with a '/'`],
    ["a service port out of range", { clientConfig: { service: { namespace: "n", name: "s", port: 70000 } } }, "webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive"],
    ["a matchCondition that does not compile", { matchConditions: [{ name: "c", expression: "object.metadata.name ==" }] }, /^webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "object.metadata.name ==": compilation failed: ERROR: <input>:1:/],
    ["a matchCondition that is not bool", { matchConditions: [{ name: "c", expression: "'yes'" }] }, `webhooks[0].matchConditions[0].expression: Invalid value: "'yes'": must evaluate to bool`],
    ["a matchCondition without an expression", { matchConditions: [{ name: "c", expression: " " }] }, "webhooks[0].matchConditions[0].expression: Required value"],
    ["a matchCondition without a name", { matchConditions: [{ name: "", expression: "true" }] }, "webhooks[0].matchConditions[0].name: Required value"],
    ["a matchCondition named badly", { matchConditions: [{ name: "-bad-", expression: "true" }] }, /^webhooks\[0\]\.matchConditions\[0\]\.name: Invalid value: "-bad-": name part must consist of/],
    ["two matchConditions of one name", { matchConditions: [{ name: "c", expression: "true" }, { name: "c", expression: "false" }] }, 'webhooks[0].matchConditions[1].name: Duplicate value: "c"'],
    ["65 matchConditions", { matchConditions: Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: "true" })) }, "webhooks[0].matchConditions: Too many: 65: must have at most 64 items"],
    ["no operations", { rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: [], resources: ["pods"] }] }, "webhooks[0].rules[0].operations: Required value"],
    ["* with others", { rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["*", "CREATE"], resources: ["pods"] }] }, `webhooks[0].rules[0].operations: Invalid value: ["*","CREATE"]: if '*' is present, must not specify other operations`],
    ["an unknown scope", { rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Node" }] }, 'webhooks[0].rules[0].scope: Unsupported value: "Node": supported values: "*", "Cluster", "Namespaced"'],
    ["overlapping subresources", { rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods/*", "pods/status"] }] }, `webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if 'pods/*' is present, must not specify pods/status`],
    ["a bad selector", { objectSelector: { matchExpressions: [{ key: "a", operator: "In" }] } }, "webhooks[0].objectSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
  ];
  for (const [name, change, want] of cases) {
    it(`refuses ${name}`, () => {
      const got = messages([hook(change)]);
      assert.ok(typeof want === "string" ? got.includes(want) : got.some((m) => want.test(m)), got.join("\n"));
    });
  }
  it("accepts matchConditions that compile to bool", () => assert.deepEqual(messages([hook({ matchConditions: [{ name: "not-kube-system", expression: "request.namespace != 'kube-system'" }, { name: "example.com/labelled", expression: "has(object.metadata.labels)" }] })]), []));
  it("refuses two webhooks of one name", () => assert.deepEqual(messages([hook(), hook()]), ['webhooks[1].name: Duplicate value: "hook.example.com"']));
});

describe("webhook defaults", () => {
  it("are upstream's v1 defaults", () => {
    const h = hook({ clientConfig: { service: { namespace: "n", name: "s" } } });
    defaultMutatingWebhook(h);
    assert.deepEqual(
      [h.failurePolicy, h.matchPolicy, h.timeoutSeconds, h.reinvocationPolicy, h.namespaceSelector, h.objectSelector, h.clientConfig.service?.port, (h.rules![0] as { scope?: string }).scope],
      ["Fail", "Equivalent", 10, "Never", {}, {}, 443, "*"],
    );
  });
});
