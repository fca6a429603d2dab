import assert from "node:assert/strict";
import { it } from "node:test";
import type { CustomResourceDefinitionVersion } from "kubernetes-types/apiextensions/v1.js";
import { fieldErrorMessage } from "../../../../api/errors.js";
import { validateVersionSelectableFields } from "./selectable-fields.js";

const schema = {
  type: "object",
  properties: {
    metadata: { type: "object" },
    spec: {
      type: "object",
      properties: {
        color: { type: "string", enum: ["blue", "red"] },
        size: { type: "integer" },
        branded: { type: "boolean" },
        weight: { type: "number" },
        tags: { type: "array", items: { type: "string" } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`c${i}`, { type: "string" }])),
      },
    },
  },
};

const version = (paths: string[], withSchema = true): CustomResourceDefinitionVersion => ({
  name: "v1", served: true, storage: true,
  ...(withSchema ? { schema: { openAPIV3Schema: schema } } : {}),
  selectableFields: paths.map((jsonPath) => ({ jsonPath })),
});

const messages = (paths: string[], withSchema = true) =>
  validateVersionSelectableFields(version(paths, withSchema), "spec.versions[0]").map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

it("accepts string (enum included), integer and boolean fields, and a map value reached with a dot", () => {
  assert.deepEqual(messages([".spec.color", ".spec.size", ".spec.branded", ".spec.labels.team"]), []);
});

it("refuses what upstream refuses, with upstream's messages", () => {
  const cases: [string[], string[]][] = [
    [[""], ["spec.versions[0].selectableFields[0].jsonPath: Required value"]],
    [[".spec.nope"], ['spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field']],
    [["spec.color"], ['spec.versions[0].selectableFields[0].jsonPath: Invalid value: "spec.color": is an invalid path: expected [ or . but got: spec.color']],
    [[".spec['color']"], [`spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec['color']": is an invalid path: array notation is not allowed`]],
    [[".spec.weight"], ['spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec.weight": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.']],
    [[".spec.tags"], ['spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".spec.tags": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.']],
    [[".metadata"], [
      'spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".metadata": must not point to fields in metadata',
      'spec.versions[0].selectableFields[0].jsonPath: Invalid value: ".metadata": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
    ]],
    [[".spec.color", ".spec.color"], ['spec.versions[0].selectableFields[1].jsonPath: Duplicate value: ".spec.color"']],
    [Array.from({ length: 9 }, (_, i) => `.spec.c${i}`), ["spec.versions[0].selectableFields: Too many: 9: must have at most 8 items"]],
  ];
  for (const [paths, want] of cases) assert.deepEqual(messages(paths), want, paths.join(","));
});

it("needs the version's schema", () => {
  assert.deepEqual(messages([".spec.color"], false), ['spec.versions[0].selectableFields: Invalid value: "": selectableFields may only be set when version.schema.openAPIV3Schema is not included']);
});
