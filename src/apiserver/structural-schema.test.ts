import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldErrorMessage } from "../api/errors.js";
import { validateAndPrune } from "./structural-schema.js";

const schema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        deadline: { type: "integer", minimum: 1, maximum: 10 },
        image: { type: "string", pattern: "^[a-z]+$", minLength: 2 },
        port: { "x-kubernetes-int-or-string": true },
        hosts: { type: "array", maxItems: 1, minItems: 1, items: { type: "string" } },
        since: { type: "string", format: "date-time" },
        day: { type: "string", format: "date" },
        uid: { type: "string", format: "uuid" },
        data: { type: "string", format: "byte" },
        addr: { type: "string", format: "ipv4" },
        count: { type: "string", format: "int64" },
      },
    },
  },
};

/** The lines kubectl prints under `The Hook "h" is invalid:`. */
const messages = (spec: object) => validateAndPrune({ spec }, schema, false).map((e) => `${e.field}: ${fieldErrorMessage(e)}`);

describe("validateAndPrune words errors as the apiextensions apiserver does", () => {
  const cases: Array<[string, object, string[]]> = [
    ["a string for an integer", { deadline: "soon" }, ['spec.deadline: Invalid value: "string": spec.deadline in body must be of type integer: "string"']],
    ["a float for an integer", { deadline: 1.5 }, ['spec.deadline: Invalid value: "number": spec.deadline in body must be of type integer: "number"']],
    ["an integer for a string", { image: 5 }, ['spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"']],
    ["a boolean for int-or-string", { port: true }, ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']],
    ["above the maximum", { deadline: 15 }, ["spec.deadline: Invalid value: 15: spec.deadline in body should be less than or equal to 10"]],
    ["below the minimum", { deadline: 0 }, ["spec.deadline: Invalid value: 0: spec.deadline in body should be greater than or equal to 1"]],
    ["not matching the pattern", { image: "A1" }, ["spec.image: Invalid value: \"A1\": spec.image in body should match '^[a-z]+$'"]],
    ["too short", { image: "a" }, ['spec.image: Invalid value: "a": spec.image in body should be at least 2 chars long']],
    ["too many items", { hosts: ["a", "b"] }, ["spec.hosts: Too many: 2: must have at most 1 items"]],
    ["too few items", { hosts: [] }, ["spec.hosts: Invalid value: []: spec.hosts in body should have at least 1 items"]],
    ["valid", { deadline: 3, image: "ab", port: "http", hosts: ["a"] }, []],
    ["valid formats", { since: "2026-01-01T00:00:00Z", day: "2026-02-28", uid: "0b8c7a52-6d2e-4f8a-9b1e-3c4d5e6f7a8b", data: "aGk=", addr: "10.0.0.1", count: "anything" }, []],
    ["date-time with fractions and an offset", { since: "2026-01-01T10:20:30.123456+02:00" }, []],
    ["not a date-time", { since: "yesterday" }, ['spec.since: Invalid value: "yesterday": spec.since in body must be of type date-time: "yesterday"']],
    ["a date that does not exist", { day: "2026-02-30" }, ['spec.day: Invalid value: "2026-02-30": spec.day in body must be of type date: "2026-02-30"']],
    ["not a uuid", { uid: "nope" }, ['spec.uid: Invalid value: "nope": spec.uid in body must be of type uuid: "nope"']],
    ["not base64", { data: "a*" }, ['spec.data: Invalid value: "a*": spec.data in body must be of type byte: "a*"']],
    ["not an IPv4 address", { addr: "10.0.0" }, ['spec.addr: Invalid value: "10.0.0": spec.addr in body must be of type ipv4: "10.0.0"']],
  ];
  for (const [name, spec, want] of cases) it(name, () => assert.deepEqual(messages(spec), want));
});
