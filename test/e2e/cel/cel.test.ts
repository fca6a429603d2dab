/**
 * CEL validation rules of a CRD as a kubectl user meets them: a CRD with
 * rules on the root, on spec (self, a transition rule with oldSelf,
 * messageExpression, fieldPath, reason, the quantity and list libraries) and
 * on list items; objects that pass and fail with upstream's messages as
 * kubectl prints them; ratcheting of unchanged values; a CRD refused for a
 * rule that does not compile.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const fixture = (name: string) => join(repoRoot, "test/e2e/cel", name);

const widget = (name: string, spec: object) => JSON.stringify({ apiVersion: "cel.example.com/v1", kind: "Widget", metadata: { name, namespace: "default" }, spec });

describe("CEL validation rules of CustomResourceDefinitions", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const apply = (body: string) => kubectl.run(["apply", "-f", "-"], { input: body });
  before(async () => {
    server = await startServer();
    kubectl = kubectlFor(server.kubeconfig);
    assert.match(await kubectl.ok(["apply", "-f", fixture("widgets-crd.yaml")]), /customresourcedefinition.apiextensions.k8s.io\/widgets.cel.example.com created/);
    await eventually(async () => (await kubectl.run(["get", "widgets"])).code === 0, 20_000, 200);
  });
  after(async () => { await server[Symbol.asyncDispose](); });

  it("creates an object that passes every rule", async () => {
    const r = await apply(widget("w-good", { replicas: 2, minReplicas: 1, maxReplicas: 3, storageClass: "fast", owner: "ann", memory: "1Gi", tags: ["a", "b"] }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /widget.cel.example.com\/w-good created/);
  });

  it("refuses objects that fail, with upstream's messages, paths and reasons", async () => {
    const over = await apply(widget("w-over", { replicas: 5, maxReplicas: 3, storageClass: "fast", owner: "ann" }));
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /The Widget "w-over" is invalid: spec: Invalid value: "object": replicas must not exceed maxReplicas/);

    const several = await apply(widget("bad-name", { replicas: 1, minReplicas: 2, maxReplicas: 3, storageClass: "fast", memory: "8Gi", tags: ["b", "A"] }));
    assert.notEqual(several.code, 0);
    for (const line of [
      '* <nil>: Invalid value: "object": widget names start with w-',
      '* spec.replicas: Invalid value: "object": replicas (1) must be at least minReplicas (2)',
      "* spec.owner: Required value: an owner is required",
      '* spec: Invalid value: "object": memory must be less than 4Gi',
      '* spec: Invalid value: "object": tags must be sorted',
      '* spec.tags[1]: Invalid value: "string": tags are lowercase words',
    ]) assert.ok(several.stderr.includes(line), `missing ${JSON.stringify(line)} in:\n${several.stderr}`);
    assert.match(several.stderr, /The Widget "bad-name" is invalid: /);
    assert.equal((await kubectl.run(["get", "widget", "bad-name"])).code, 1, "nothing was created");

    // A value of the wrong type: the rules are not run, and one error says so (upstream's hasBlockingErr).
    const mistyped = await apply(widget("w-typed", { replicas: "two", maxReplicas: 3, storageClass: "fast", owner: "ann" }));
    assert.notEqual(mistyped.code, 0);
    assert.match(mistyped.stderr, /<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation/);
    assert.doesNotMatch(mistyped.stderr, /replicas must not exceed maxReplicas/);
  });

  it("runs the transition rule on update only, against the old object", async () => {
    const changed = await apply(widget("w-good", { replicas: 2, maxReplicas: 3, storageClass: "slow", owner: "ann" }));
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /The Widget "w-good" is invalid: spec.storageClass: Forbidden: storageClass is immutable/);
    const scaled = await apply(widget("w-good", { replicas: 3, maxReplicas: 3, storageClass: "fast", owner: "ann" }));
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.match(scaled.stdout, /widget.cel.example.com\/w-good configured/);
  });

  it("ratchets: a value that already failed a rule does not fail an update that leaves it unchanged", async () => {
    // Stored before the rule that it breaks: a CRD update adds the rule afterwards.
    const ok = await apply(widget("w-old", { replicas: 1, maxReplicas: 1, storageClass: "fast", owner: "ann", memory: "1Gi" }));
    assert.equal(ok.code, 0, ok.stderr);
    const crd = JSON.parse(await kubectl.ok(["get", "crd", "widgets.cel.example.com", "-o", "json"]));
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.owner["x-kubernetes-validations"] = [{ rule: "self != 'ann'", message: "ann has left" }];
    delete crd.metadata.resourceVersion;
    await kubectl.ok(["replace", "-f", "-"], { input: JSON.stringify(crd) });
    await eventually(async () => {
      const r = await apply(widget("w-new", { replicas: 1, maxReplicas: 1, storageClass: "fast", owner: "ann" }));
      return r.code !== 0 && r.stderr.includes('spec.owner: Invalid value: "string": ann has left');
    }, 20_000, 200);
    const unchanged = await apply(widget("w-old", { replicas: 1, maxReplicas: 1, storageClass: "fast", owner: "ann", memory: "2Gi" }));
    assert.equal(unchanged.code, 0, unchanged.stderr);
    assert.match(unchanged.stderr, /Warning: spec.owner: Invalid value: "string": ann has left/, "the ratcheted error is a warning");
    const touched = await apply(widget("w-old", { replicas: 1, maxReplicas: 1, storageClass: "fast", owner: "ann2", memory: "2Gi" }));
    assert.equal(touched.code, 0, touched.stderr);
    const back = await apply(widget("w-old", { replicas: 1, maxReplicas: 1, storageClass: "fast", owner: "ann", memory: "2Gi" }));
    assert.notEqual(back.code, 0);
    assert.match(back.stderr, /spec.owner: Invalid value: "string": ann has left/);
  });

  it("refuses a CRD whose rule does not compile, naming the field", async () => {
    const r = await kubectl.run(["apply", "-f", fixture("bad-rule-crd.yaml")]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The CustomResourceDefinition "gadgets.cel.example.com" is invalid: spec.versions\[0\].schema.openAPIV3Schema.properties\[spec\].x-kubernetes-validations\[0\].rule: Invalid value: apiextensions.ValidationRule\{Rule:"self.replicas <= self.maxreplicas", Message:"", MessageExpression:"", Reason:\(\*apiextensions.FieldValueErrorReason\)\(nil\), FieldPath:"", OptionalOldSelf:\(\*bool\)\(nil\)\}: compilation failed: ERROR: <input>:1:22: undefined field 'maxreplicas'/);
    assert.equal((await kubectl.run(["get", "crd", "gadgets.cel.example.com"])).code, 1, "the CRD was not created");
  });
});
