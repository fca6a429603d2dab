import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ValidationRule } from "kubernetes-types/apiextensions/v1.js";
import { fieldErrorMessage, type FieldError } from "../../api/errors.js";
import { SchemaValidator, validateSchemaRules } from "./index.js";
import type { Schema } from "./types.js";

/** A CRD schema whose spec carries the given rules (and properties). */
function specSchema(rules: ValidationRule[], properties: Schema["properties"] = {}, extra: Partial<Schema> = {}): Schema {
  return {
    type: "object",
    properties: {
      spec: {
        type: "object",
        "x-kubernetes-validations": rules,
        properties: {
          replicas: { type: "integer" },
          maxReplicas: { type: "integer" },
          name: { type: "string", maxLength: 63 },
          tags: { type: "array", maxItems: 10, items: { type: "string", maxLength: 20 } },
          labels: { type: "object", maxProperties: 10, additionalProperties: { type: "string", maxLength: 20 } },
          port: { "x-kubernetes-int-or-string": true },
          extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          memory: { type: "string", maxLength: 20 },
          ...properties,
        },
        ...extra,
      },
    },
  };
}

const text = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
const obj = (spec: object) => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec });
const check = (rules: ValidationRule[], spec: object, old?: object) => text(new SchemaValidator(specSchema(rules)).validate(obj(spec), old && obj(old)).errors);

describe("CEL rules: evaluation", () => {
  it("passes and fails on self, with upstream's messages", () => {
    const rules = [{ rule: "self.replicas <= self.maxReplicas", message: "replicas must not exceed maxReplicas" }];
    assert.deepEqual(check(rules, { replicas: 1, maxReplicas: 3 }), []);
    assert.deepEqual(check(rules, { replicas: 5, maxReplicas: 3 }), ['spec: Invalid value: "object": replicas must not exceed maxReplicas']);
    assert.deepEqual(check([{ rule: "self.replicas >= 0" }], { replicas: -1 }), ['spec: Invalid value: "object": failed rule: self.replicas >= 0']);
  });

  it("types fields from the schema: lists, maps, int-or-string, preserved fields as dyn", () => {
    const cases: [string, object, boolean][] = [
      ["self.tags.all(t, t.size() < 5)", { tags: ["a", "bb"] }, true],
      ["self.tags.all(t, t.size() < 2)", { tags: ["a", "bb"] }, false],
      ["self.labels['app'] == 'web' && 'app' in self.labels", { labels: { app: "web" } }, true],
      ["self.labels.all(k, k.startsWith('a'))", { labels: { app: "web", b: "x" } }, false],
      ["type(self.port) == int ? self.port > 80 : self.port == 'http'", { port: 8080 }, true],
      ["type(self.port) == int ? self.port > 80 : self.port == 'http'", { port: "http" }, true],
      ["self.extra.nested.count == 2", { extra: { nested: { count: 2 } } }, true],
      ["!has(self.name) || self.name.matches('^[a-z]+$')", { name: "Web" }, false],
      ["!has(self.name) || self.name.matches('^[a-z]+$')", {}, true],
      ["self.?name.orValue('none') == 'none'", {}, true],
    ];
    for (const [rule, spec, ok] of cases) assert.equal(check([{ rule }], spec).length === 0, ok, rule);
  });

  it("types date-time, duration and byte strings as timestamps, durations and bytes", () => {
    const v = new SchemaValidator(specSchema([
      { rule: "self.expires > timestamp('2020-01-01T00:00:00Z')", message: "expired" },
      { rule: "self.timeout <= duration('1h')", message: "too long" },
      { rule: "self.data.size() == 3", message: "three bytes" },
    ], { expires: { type: "string", format: "date-time" }, timeout: { type: "string", format: "duration" }, data: { type: "string", format: "byte" } }));
    assert.deepEqual(text(v.validate(obj({ expires: "2024-05-01T10:00:00Z", timeout: "30m", data: "YWJj" })).errors), []);
    assert.deepEqual(text(v.validate(obj({ expires: "2019-05-01T10:00:00Z", timeout: "2h", data: "YQ==" })).errors), ['spec: Invalid value: "object": expired', 'spec: Invalid value: "object": too long', 'spec: Invalid value: "object": three bytes']);
  });

  it("sees apiVersion, kind and metadata.name at the resource's root, under <nil>", () => {
    const v = new SchemaValidator({ type: "object", "x-kubernetes-validations": [{ rule: "self.metadata.name.startsWith('w-')", message: "name must start with w-" }] });
    assert.deepEqual(text(v.validate(obj({})).errors), ['<nil>: Invalid value: "object": name must start with w-']);
    assert.deepEqual(text(v.validate({ ...obj({}), metadata: { name: "w-1" } }).errors), []);
  });

  it("says which field is missing when a rule reads an absent one", () => {
    assert.deepEqual(check([{ rule: "self.replicas > 0" }], {}), ['spec: Invalid value: "object": no such key: replicas evaluating rule: self.replicas > 0']);
  });

  it("uses messageExpression, fieldPath and reason", () => {
    const rules: ValidationRule[] = [
      { rule: "self.replicas <= self.maxReplicas", messageExpression: "'replicas ' + string(self.replicas) + ' exceeds ' + string(self.maxReplicas)", fieldPath: ".replicas", reason: "FieldValueForbidden" },
      { rule: "has(self.name)", message: "name is required", fieldPath: ".name", reason: "FieldValueRequired" },
      { rule: "self.tags.size() == 0 || self.tags.isSorted()", reason: "FieldValueDuplicate", fieldPath: ".tags" },
    ];
    assert.deepEqual(check(rules, { replicas: 5, maxReplicas: 2, tags: ["b", "a"] }), [
      "spec.replicas: Forbidden: replicas 5 exceeds 2",
      "spec.name: Required value: name is required",
      'spec.tags: Duplicate value: "object"',
    ]);
  });

  it("falls back to the message when messageExpression fails or is blank", () => {
    const rules = [
      { rule: "false", message: "static", messageExpression: "string(self.replicas)" },
      { rule: "false", message: "static2", messageExpression: "'  '" },
    ];
    assert.deepEqual(check(rules, {}), ['spec: Invalid value: "object": static', 'spec: Invalid value: "object": static2']);
  });

  it("runs transition rules only on update, with oldSelf; optionalOldSelf runs them on create too", () => {
    const rules = [{ rule: "self.replicas >= oldSelf.replicas", message: "replicas may not decrease" }];
    assert.deepEqual(check(rules, { replicas: 1 }), []);
    assert.deepEqual(check(rules, { replicas: 1 }, { replicas: 2 }), ['spec: Invalid value: "object": replicas may not decrease']);
    assert.deepEqual(check(rules, { replicas: 3 }, { replicas: 2 }), []);
    const immutable = [{ rule: "self == oldSelf", message: "spec is immutable" }];
    assert.deepEqual(check(immutable, { replicas: 1, tags: ["a"] }, { replicas: 1, tags: ["a"] }), []);
    assert.deepEqual(check(immutable, { replicas: 2 }, { replicas: 1 }), ['spec: Invalid value: "object": spec is immutable']);
    const optional = [{ rule: "oldSelf.hasValue() || self.replicas == 1", optionalOldSelf: true, message: "must start at 1" }];
    assert.deepEqual(check(optional, { replicas: 2 }), ['spec: Invalid value: "object": must start at 1']);
    assert.deepEqual(check(optional, { replicas: 2 }, { replicas: 1 }), []);
  });

  it("ratchets: a failing rule on a value unchanged since the old object is a warning", () => {
    const v = new SchemaValidator(specSchema([{ rule: "self.replicas < 10", message: "too many" }], {}, {}));
    const old = obj({ replicas: 20 });
    const same = v.validate(obj({ replicas: 20 }), old);
    assert.deepEqual(same.errors, []);
    assert.deepEqual(same.warnings, ['spec: Invalid value: "object": too many']);
    assert.deepEqual(text(v.validate(obj({ replicas: 21 }), old).errors), ['spec: Invalid value: "object": too many']);
  });

  it("correlates list-map items by key for oldSelf", () => {
    const schema: Schema = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            ports: {
              type: "array", maxItems: 10, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
              items: { type: "object", properties: { name: { type: "string", maxLength: 10 }, port: { type: "integer" } }, "x-kubernetes-validations": [{ rule: "self.port == oldSelf.port", message: "port is immutable" }] },
            },
          },
        },
      },
    };
    const v = new SchemaValidator(schema);
    const old = obj({ ports: [{ name: "a", port: 1 }, { name: "b", port: 2 }] });
    assert.deepEqual(text(v.validate(obj({ ports: [{ name: "b", port: 2 }, { name: "a", port: 1 }, { name: "c", port: 3 }] }), old).errors), []);
    assert.deepEqual(text(v.validate(obj({ ports: [{ name: "b", port: 5 }] }), old).errors), ['spec.ports[0]: Invalid value: "object": port is immutable']);
  });

  it("has Kubernetes' list, regex, quantity and URL libraries", () => {
    const cases: [string, object][] = [
      ["[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && [1, 2].sum() == 3", {}],
      ["[1, 2, 3].isSorted() && !['b', 'a'].isSorted()", {}],
      ["[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2", {}],
      ["'abc 123 def 456'.find('[0-9]+') == '123' && 'abc 123 def 456'.findAll('[0-9]+') == ['123', '456']", {}],
      ["'a1b2c3'.findAll('[0-9]', 2) == ['1', '2']", {}],
      ["quantity(self.memory).isLessThan(quantity('2Gi')) && quantity('1Gi') == quantity('1024Mi')", { memory: "512Mi" }],
      ["isQuantity('100m') && !isQuantity('ten') && quantity('1.5').asApproximateFloat() == 1.5", {}],
      ["quantity('1').add(quantity('500m')).compareTo(quantity('1500m')) == 0 && quantity('2').asInteger() == 2", {}],
      ["cidr('10.0.0.0/8').containsIP('10.2.3.4') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1')) && cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')", {}],
      ["isIP('::1') && ip('::1').isLoopback() && ip('10.0.0.1').family() == 4 && string(ip('2001:db8:0:0:0:0:0:1')) == '2001:db8::1' && !isCIDR('10.0.0.0/33')", {}],
      ["'abc'.replace('a', 'x') == 'xbc' && 'aaa'.replace('a', 'x', 1) == 'xaa' && 'abc'.charAt(1) == 'b' && 'abc'.reverse() == 'cba' && 'A-b'.lowerAscii() == 'a-b' && 'a/b'.split('/') == ['a', 'b']", {}],
      ["sets.contains(['a', 'b'], ['a']) && sets.equivalent([1, 2], [2, 1]) && !sets.intersects([1], [2])", {}],
      ["url('https://example.com:8443/a?x=1').getHostname() == 'example.com' && url('https://example.com:8443/').getPort() == '8443' && isURL('https://a') && !isURL('nope')", {}],
    ];
    for (const [rule, spec] of cases) assert.deepEqual(check([{ rule }], spec), [], rule);
  });

  it("matches with RE2's semantics: a pattern that makes a backtracking engine run for ever returns", () => {
    const rules = [{ rule: "self.name.matches('^(a+)+$')", message: "not a's" }];
    const v = new SchemaValidator(specSchema(rules, { name: { type: "string", maxLength: 100000 } }));
    assert.deepEqual(text(v.validate(obj({ name: "a".repeat(5000) + "!" })).errors), ['spec: Invalid value: "object": not a\'s']);
    assert.deepEqual(text(v.validate(obj({ name: "aaa" })).errors), []);
    assert.deepEqual(check([{ rule: "matches(self.name, '^[a-z]+$') && self.name.find('(?i)B+') == 'bB'" }], { name: "abbc" }).length, 1);
    assert.deepEqual(check([{ rule: "matches(self.name, '^[a-z]+$') && self.name.find('(?i)B+') == 'bb'" }], { name: "abbc" }), []);
  });

  it("stops at the runtime cost budget, charged at the object's own sizes, instead of running on", () => {
    // Each item's rule is quadratic in its own list: cheap enough for the CRD, too much for an object that fills every list.
    const schema: Schema = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            items: {
              type: "array", maxItems: 2000,
              items: { type: "object", properties: { t: { type: "array", maxItems: 50, items: { type: "integer" } } }, "x-kubernetes-validations": [{ rule: "self.t.all(x, self.t.all(y, x == y))" }] },
            },
          },
        },
      },
    };
    assert.deepEqual(validateSchemaRules(schema, "s"), []);
    const v = new SchemaValidator(schema);
    const small = v.validate(obj({ items: [{ t: [1, 1] }, { t: [2] }] }));
    assert.deepEqual(small.errors, []);
    const big = v.validate(obj({ items: Array.from({ length: 2000 }, () => ({ t: Array.from({ length: 50 }, () => 7) })) }));
    assert.equal(big.errors.length, 1);
    assert.match(text(big.errors)[0]!, /^spec\.items\[\d+\]: Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run$/);
  });
});

describe("CEL rules: compilation (the CRD's validation)", () => {
  const errs = (rules: ValidationRule[], extra?: Partial<Schema>) => text(validateSchemaRules(specSchema(rules, {}, extra), "spec.versions[0].schema.openAPIV3Schema"));

  it("refuses a rule naming a missing field, with cel-go's message and a caret", () => {
    assert.deepEqual(errs([{ rule: "self.replicas <= self.maxreplicas" }]), [
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.replicas <= self.maxreplicas", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:22: undefined field \'maxreplicas\'\n | self.replicas <= self.maxreplicas\n | .....................^',
    ]);
  });

  it("refuses syntax errors, non-bool rules, bad messageExpressions, fieldPaths and reasons", () => {
    const out = errs([
      { rule: "self.replicas +" },
      { rule: "self.replicas + 1" },
      { rule: "true", messageExpression: "1" },
      { rule: "true", fieldPath: ".nope" },
      { rule: "true", reason: "Sometimes" as ValidationRule["reason"] },
      { rule: "self.name + 1 == 2" },
    ]);
    assert.equal(out.length, 6, out.join("\n"));
    assert.match(out[0]!, /x-kubernetes-validations\[0\]\.rule: Invalid value: .*compilation failed: ERROR: <input>:1:16: /);
    assert.match(out[1]!, /\[1\]\.rule: .*cel expression must evaluate to a bool/);
    assert.match(out[2]!, /\[2\]\.messageExpression: .*must evaluate to a string/);
    assert.match(out[3]!, /\[3\]\.fieldPath: Invalid value: "\.nope": fieldPath must be a valid path: does not refer to a valid field/);
    assert.match(out[4]!, /\[4\]\.reason: Unsupported value: "Sometimes": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"/);
    assert.match(out[5]!, /\[5\]\.rule: .*no such overload: string \+ int/);
  });

  it("refuses a literal pattern that is not RE2 syntax, and names matches (not its RE2 stand-in) in errors", () => {
    const out = errs([{ rule: "self.name.matches('(abc')" }, { rule: "self.replicas.matches('a')" }]);
    assert.equal(out.length, 2, out.join("\n"));
    assert.match(out[0]!, /\[0\]\.rule: .*compilation failed: ERROR: <input>:1:19: error parsing regexp: /);
    assert.match(out[1]!, /\[1\]\.rule: .*compilation failed: ERROR: <input>:1:\d+: .*matches/);
    assert.doesNotMatch(out[1]!, /__re2__/);
  });

  it("refuses oldSelf where no old value can be correlated (items of an atomic list)", () => {
    const schema: Schema = { type: "object", properties: { l: { type: "array", maxItems: 5, items: { type: "integer", "x-kubernetes-validations": [{ rule: "self == oldSelf" }] } } } };
    const out = text(validateSchemaRules(schema, "x"));
    assert.equal(out.length, 1);
    assert.match(out[0]!, /^x\.properties\[l\]\.items\.x-kubernetes-validations\[0\]\.rule: Forbidden: oldSelf cannot be used on the uncorrelatable portion of the schema/);
  });

  it("refuses a rule whose estimated cost is over the limit, and accepts it once the list is bounded", () => {
    const quadratic = { rule: "self.tags2.all(x, self.tags2.all(y, x == y))" };
    const unbounded = { tags2: { type: "array", items: { type: "string" } } } as Schema["properties"];
    const out = text(validateSchemaRules(specSchema([quadratic], unbounded), "p"));
    assert.ok(out.some((e) => e.startsWith("p.properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)")), out.join("\n"));
    const bounded = { tags2: { type: "array", maxItems: 10, items: { type: "string", maxLength: 10 } } } as Schema["properties"];
    assert.deepEqual(text(validateSchemaRules(specSchema([quadratic], bounded), "p")), []);
  });

  it("accepts a pattern over every key of a map without maxLength: the keys share one request's bytes", () => {
    const props = { annotations: { type: "object", additionalProperties: { type: "string" } } } as Schema["properties"];
    assert.deepEqual(text(validateSchemaRules(specSchema([{ rule: "self.annotations.all(k, k.matches('^[a-z0-9./-]+$'))" }], props), "p")), []);
  });

  it("accepts well-formed rules", () => {
    assert.deepEqual(errs([{ rule: "self.replicas <= self.maxReplicas", messageExpression: "'at most ' + string(self.maxReplicas)", fieldPath: ".replicas", reason: "FieldValueForbidden" }, { rule: "self.labels.all(k, k.size() < 10)" }]), []);
  });
});
