/**
 * ValidatingAdmissionPolicy as a kubectl user meets it: a policy with a
 * ConfigMap param, a variable and two validations (one with
 * messageExpression and reason Forbidden) bound with Deny, and a second
 * policy bound with Warn; deployments that pass, fail and warn with
 * upstream's messages; a policy's auditAnnotations in the audit log; the
 * param changed, and removed.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, kubectlFor } from "../../helpers/kubectl.js";
import { repoRoot, startServer, type RunningServer } from "../../helpers/skiff-server.js";

const fixture = (name: string) => join(repoRoot, "test/e2e/validating-admission-policy", name);
const scratch = mkdtempSync(join(tmpdir(), "skiff-e2e-vap-"));
const auditLog = join(scratch, "audit.log");
type AuditEvent = { verb: string; stage: string; objectRef?: { name?: string }; annotations?: Record<string, string> };
/** The ResponseComplete event of the create of the named object, once the log has it. */
const createEvent = (name: string) => eventually(() => (existsSync(auditLog) ? readFileSync(auditLog, "utf8") : "").split("\n").filter(Boolean)
  .map((l) => JSON.parse(l) as AuditEvent).find((e) => e.verb === "create" && e.stage === "ResponseComplete" && e.objectRef?.name === name));

const deployment = (name: string, replicas: number, labels: Record<string, string> = {}) => JSON.stringify({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "default", labels: { app: name, ...labels } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
});

describe("ValidatingAdmissionPolicy", () => {
  let server: RunningServer;
  let kubectl: ReturnType<typeof kubectlFor>;
  const apply = (body: string) => kubectl.run(["apply", "-f", "-"], { input: body });
  before(async () => {
    server = await startServer({ args: ["--audit-policy-file", fixture("audit-policy.yaml"), "--audit-log-path", auditLog] });
    kubectl = kubectlFor(server.kubeconfig);
    const out = await kubectl.ok(["apply", "-f", fixture("max-replicas.yaml")]);
    assert.match(out, /validatingadmissionpolicy.admissionregistration.k8s.io\/max-replicas created/);
    assert.match(out, /validatingadmissionpolicybinding.admissionregistration.k8s.io\/max-replicas-binding created/);
  });
  after(async () => {
    await server?.[Symbol.asyncDispose]();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("denies what a Deny binding's validations refuse, with upstream's messages", async () => {
    const over = await eventually(async () => {
      const r = await apply(deployment("app-big", 5));
      return r.code !== 0 ? r : undefined;
    }, 20_000, 200);
    assert.match(over!.stderr, /The deployments "app-big" is invalid: : ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: failed expression: object.spec.replicas <= int\(params.data.maxReplicas\)/);
    const labelled = await apply(deployment("app-labelled", 1, { forbidden: "yes" }));
    assert.notEqual(labelled.code, 0);
    assert.match(labelled.stderr, /deployments.apps "app-labelled" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: the label forbidden is not allowed on app-labelled/);
    const ok = await apply(deployment("app-small", 2));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await kubectl.run(["get", "deployment", "app-big"])).code, 1, "nothing was created");
  });

  it("warns for a Warn binding and lets the request through", async () => {
    const r = await apply(deployment("web", 1));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: Validation failed for ValidatingAdmissionPolicy 'prefer-names' with binding 'prefer-names-binding': deployment names should start with app-/);
  });

  it("records a policy's auditAnnotations in the audit log, for a binding of any action", async () => {
    await kubectl.ok(["apply", "-f", fixture("audit-annotations.yaml")]);
    const key = "demo-policy.example.com/high-replica-count";
    // The policy takes effect once the server's cache has it: try deployments until one is annotated.
    let n = 0;
    const annotated = await eventually(async () => {
      const name = `app-audited-${n++}`;
      const r = await apply(deployment(name, 3));
      assert.equal(r.code, 0, r.stderr);
      return (await createEvent(name))?.annotations?.[key] !== undefined ? name : undefined;
    }, 20_000, 200);
    assert.equal((await createEvent(annotated!))!.annotations![key], "Deployment spec.replicas set to 3");
    const few = await apply(deployment("app-few", 1));
    assert.equal(few.code, 0, few.stderr);
    const event = await createEvent("app-few");
    assert.ok(event, "the create of app-few is in the audit log");
    assert.equal(event.annotations?.[key], undefined, "a null value records nothing");
  });

  it("refuses auditAnnotations with a bad key, a duplicate key or a value that is not a string", async () => {
    const r = await apply(JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "bad-annotations" },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"] }] },
        auditAnnotations: [{ key: "@", valueExpression: "'v'" }, { key: "@", valueExpression: "true" }],
      },
    }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec.auditAnnotations\[0\].key: Invalid value: "bad-annotations\/@": name part must consist of alphanumeric characters/);
    assert.match(r.stderr, /spec.auditAnnotations\[1\].valueExpression: Invalid value: "true": must evaluate to one of \[string null_type\]/);
    assert.match(r.stderr, /spec.auditAnnotations\[1\].key: Duplicate value: "@"/);
  });

  it("reads the param as it is now, and denies when it is gone", async () => {
    await kubectl.ok(["patch", "configmap", "replica-limit", "--type=merge", "-p", '{"data":{"maxReplicas":"10"}}']);
    const r = await apply(deployment("app-big", 5));
    assert.equal(r.code, 0, r.stderr);
    await kubectl.ok(["delete", "configmap", "replica-limit"]);
    const gone = await apply(deployment("app-other", 1));
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction/);
  });

  it("has the status controller observe each generation of a policy", async () => {
    const status = async () => (JSON.parse(await kubectl.ok(["get", "validatingadmissionpolicy", "prefer-names", "-o", "json"])) as { metadata: { generation: number }; status?: object });
    assert.deepEqual((await eventually(async () => { const p = await status(); return p.status ? p : undefined; }))!.status, { observedGeneration: 1, typeChecking: {} });
    await kubectl.ok(["patch", "validatingadmissionpolicy", "prefer-names", "--type=json", "-p", '[{"op":"replace","path":"/spec/validations/0/message","value":"names should start with app-"}]']);
    const next = await eventually(async () => { const p = await status(); return (p.status as { observedGeneration?: number } | undefined)?.observedGeneration === 2 ? p : undefined; });
    assert.equal(next!.metadata.generation, 2);
  });

  it("warns in status.typeChecking of a field the matched kind does not have", async () => {
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "typo" },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"] }] },
        validations: [{ expression: "object.spec.replicas <= 5" }, { expression: "object.replicas > 1" }],
      },
    }) });
    const typeChecking = await eventually(async () => (JSON.parse(await kubectl.ok(["get", "validatingadmissionpolicy", "typo", "-o", "json"])) as { status?: { typeChecking?: object } }).status?.typeChecking);
    assert.deepEqual(typeChecking, { expressionWarnings: [{
      fieldRef: "spec.validations[1].expression",
      warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n",
    }] });
    await kubectl.ok(["delete", "validatingadmissionpolicy", "typo"]);
  });

  it("refuses a policy whose expression does not compile, and a binding without actions", async () => {
    const bad = await apply(JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "broken" },
      spec: { matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] }, validations: [{ expression: "object.spec.replicas <=" }] },
    }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The ValidatingAdmissionPolicy "broken" is invalid: spec.validations\[0\].expression: Invalid value: "object.spec.replicas <=": compilation failed: ERROR: <input>:1:/);
    const noActions = await apply(JSON.stringify({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "idle" }, spec: { policyName: "max-replicas" } }));
    assert.notEqual(noActions.code, 0);
    assert.match(noActions.stderr, /spec.validationActions: Required value: at least one validation action is required/);
  });
});
