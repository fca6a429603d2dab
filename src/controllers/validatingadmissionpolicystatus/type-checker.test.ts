import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ValidatingAdmissionPolicy } from "kubernetes-types/admissionregistration/v1.js";
import { checkPolicyTypes, typesToCheck, type SchemaSource } from "./type-checker.js";

// The built-in schemas, as the server's OpenAPI documents carry them (each kind tagged with its group, version and kind).
const builtins = JSON.parse(readFileSync(new URL("../../../../generated/schemas.json", import.meta.url), "utf8")) as Record<string, Record<string, unknown>>;
const tagged = (name: string, group: string, version: string, kind: string) => { builtins[name] = { ...builtins[name], "x-kubernetes-group-version-kind": [{ group, version, kind }] }; };
tagged("io.k8s.api.apps.v1.Deployment", "apps", "v1", "Deployment");
tagged("io.k8s.api.apps.v1.StatefulSet", "apps", "v1", "StatefulSet");
tagged("io.k8s.api.core.v1.ConfigMap", "", "v1", "ConfigMap");
const kinds: Record<string, string> = { "apps/v1/deployments": "Deployment", "apps/v1/statefulsets": "StatefulSet", "/v1/configmaps": "ConfigMap" };
const source: SchemaSource = {
  kindFor: async (g, v, r) => kinds[`${g}/${v}/${r}`],
  document: async () => ({ components: { schemas: builtins } }),
};

const policy = (resources: string[], validations: { expression: string; messageExpression?: string }[], paramKind?: { apiVersion: string; kind: string }): ValidatingAdmissionPolicy => ({
  metadata: { name: "p", generation: 1 },
  spec: { ...(paramKind ? { paramKind } : {}), matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources } as never] }, validations },
});

describe("type checking of ValidatingAdmissionPolicies", () => {
  it("warns, per matched kind, of expressions that name fields the kind lacks", async () => {
    const p = policy(["statefulsets", "deployments"], [
      { expression: "object.spec.replicas <= 5 && object.metadata.labels['app'] != '' && object.spec.template.spec.containers.all(c, has(c.image))" },
      { expression: "object.spec.replicas <= 5", messageExpression: "'too many: ' + string(object.spec.replicass)" },
      { expression: "object.spec.strategy.type == 'Recreate'" },
    ]);
    const warnings = await checkPolicyTypes(p, source);
    assert.deepEqual(warnings.map((w) => w.fieldRef), ["spec.validations[1].messageExpression", "spec.validations[2].expression"]);
    assert.match(warnings[0]!.warning, /^apps\/v1, Kind=Deployment: ERROR: <input>:1:\d+: undefined field 'replicass'\n[^]*\n\napps\/v1, Kind=StatefulSet: ERROR: <input>:1:\d+: undefined field 'replicass'\n/);
    // StatefulSets have no spec.strategy (theirs is updateStrategy); Deployments do.
    assert.match(warnings[1]!.warning, /^apps\/v1, Kind=StatefulSet: ERROR: <input>:1:\d+: undefined field 'strategy'\n/);
    assert.doesNotMatch(warnings[1]!.warning, /Deployment/);
  });

  it("types params by paramKind, and checks no kind a wildcard names", async () => {
    const withParams = policy(["deployments"], [{ expression: "object.spec.replicas <= int(params.data.max) && params.spec.x == 1" }], { apiVersion: "v1", kind: "ConfigMap" });
    const [w] = await checkPolicyTypes(withParams, source);
    assert.match(w!.warning, /undefined field 'spec'/);
    assert.deepEqual(await typesToCheck(policy(["*", "deployments/scale"], []), source), []);
    assert.deepEqual(await checkPolicyTypes(policy(["*"], [{ expression: "object.nothing == 1" }]), source), []);
  });
});
