import assert from "node:assert/strict";
import { it } from "node:test";
import { builtinResources } from "../api/resources.js";
import { checkUnknownFields, pruneUnknownFields } from "./field-validation.js";

const info = (kind: string) => builtinResources.find((r) => r.kind === kind)!;

it("reports unknown fields with their paths, strategic merge directives aside", () => {
  const pod = { metadata: { name: "p", nope: 1 }, spec: { containers: [{ name: "c", imagee: "x" }], $setElementOrder: [] } };
  assert.deepEqual(checkUnknownFields(info("Pod"), pod), ["metadata.nope", "spec.containers[0].imagee"]);
});

it("prunes what a kind does not declare, but never inside free-form JSON (defaults, fieldsV1)", () => {
  const crd = {
    metadata: { name: "a.b.c", managedFields: [{ manager: "m", fieldsV1: { "f:spec": { "f:group": {} } } }] },
    spec: { versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object", default: { keep: { me: [1] } }, bogus: true } } }] },
  };
  pruneUnknownFields(info("CustomResourceDefinition"), crd);
  const schema = crd.spec.versions[0]!.schema.openAPIV3Schema as Record<string, unknown>;
  assert.deepEqual(schema.default, { keep: { me: [1] } });
  assert.equal("bogus" in schema, false);
  assert.deepEqual(crd.metadata.managedFields[0]!.fieldsV1, { "f:spec": { "f:group": {} } });
});

it("drops the nulls of typed fields but keeps those inside free-form JSON, as upstream keeps a RawExtension's bytes", () => {
  const revision = { metadata: { name: "r", labels: null }, revision: 1, data: { spec: { template: { metadata: { creationTimestamp: null } } } } };
  pruneUnknownFields(info("ControllerRevision"), revision);
  assert.equal("labels" in revision.metadata, false);
  assert.deepEqual(revision.data, { spec: { template: { metadata: { creationTimestamp: null } } } });
});
