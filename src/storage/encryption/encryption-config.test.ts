import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encryptionRules, loadEncryptionConfiguration, validateEncryptionConfiguration, type EncryptionConfiguration } from "./encryption-config.js";
import { ensureSecretsEncryptionConfig } from "./secrets-encryption.js";

const dir = mkdtempSync(join(tmpdir(), "skiff-encryption-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const key = Buffer.alloc(32, 1).toString("base64");
const config = (resources: unknown): unknown => ({ kind: "EncryptionConfiguration", apiVersion: "apiserver.config.k8s.io/v1", resources });
const catalog = [
  { group: "", resource: "secrets", storagePrefix: "/registry/secrets" },
  { group: "", resource: "configmaps", storagePrefix: "/registry/configmaps" },
  { group: "apps", resource: "deployments", storagePrefix: "/registry/deployments" },
  { group: "apps", resource: "replicasets", storagePrefix: "/registry/replicasets" },
];

describe("EncryptionConfiguration", () => {
  const invalid: [string, unknown, RegExp][] = [
    ["wrong kind", { kind: "Config", apiVersion: "v1", resources: [{ resources: ["secrets"], providers: [{ identity: {} }] }] }, /no kind "Config"/],
    ["no resources", config([]), /resources: Required value/],
    ["no providers", config([{ resources: ["secrets"], providers: [] }]), /resources\[0\]\.providers: Required value/],
    ["two providers in one element", config([{ resources: ["secrets"], providers: [{ identity: {}, aescbc: { keys: [{ name: "k", secret: key }] } }] }]), /more than one provider/],
    ["no key name", config([{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ secret: key }] } }] }]), /keys\[0\]\.name: Required value/],
    ["duplicate key name", config([{ resources: ["secrets"], providers: [{ aesgcm: { keys: [{ name: "k", secret: key }, { name: "k", secret: key }] } }] }]), /keys\[1\]\.name: Duplicate value/],
    ["short key", config([{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "k", secret: Buffer.alloc(10).toString("base64") }] } }] }]), /got 10, expected one of \[16 24 32\]/],
    ["not base64", config([{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "k", secret: "not base64!" }] } }] }]), /must be base64/],
    ["kms", config([{ resources: ["secrets"], providers: [{ kms: { name: "x" } }] }]), /KMS providers are not supported/],
    ["bad resource name", config([{ resources: ["Secrets/x"], providers: [{ identity: {} }] }]), /resources\[0\]\.resources\[0\]: Invalid value/],
  ];
  for (const [name, doc, want] of invalid) {
    it(`refuses: ${name}`, () => assert.match(validateEncryptionConfiguration(doc).join("\n"), want));
  }

  it("never puts a secret in an error", () => {
    const secret = Buffer.alloc(10, 9).toString("base64");
    const errs = validateEncryptionConfiguration(config([{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "k", secret }] } }] }]));
    assert.ok(errs.length && !errs.join("").includes(secret));
  });

  const prefixes: [string[], string[]][] = [
    [["secrets"], ["/registry/secrets/"]],
    [["secrets", "configmaps"], ["/registry/secrets/", "/registry/configmaps/"]],
    [["deployments.apps"], ["/registry/deployments/"]],
    [["*.apps"], ["/registry/deployments/", "/registry/replicasets/"]],
    [["*."], ["/registry/secrets/", "/registry/configmaps/"]],
    [["*.*"], ["/registry/"]],
    [["widgets.example.com"], ["/registry/example.com/widgets/"]],
  ];
  for (const [resources, want] of prefixes) {
    it(`resolves ${resources.join(",")} to storage prefixes`, () => {
      const doc = config([{ resources, providers: [{ identity: {} }] }]) as EncryptionConfiguration;
      assert.deepEqual(validateEncryptionConfiguration(doc), []);
      assert.deepEqual(encryptionRules(doc, catalog)[0]!.prefixes, want);
    });
  }

  it("flattens providers' keys in order, the first one writing", () => {
    const doc = config([{ resources: ["secrets"], providers: [
      { aesgcm: { keys: [{ name: "new", secret: key }, { name: "old", secret: key }] } }, { aescbc: { keys: [{ name: "older", secret: key }] } }, { identity: {} },
    ] }]) as EncryptionConfiguration;
    assert.deepEqual(encryptionRules(doc, catalog)[0]!.transformers.map((t) => t.prefix),
      ["k8s:enc:aesgcm:v1:new:", "k8s:enc:aesgcm:v1:old:", "k8s:enc:aescbc:v1:older:", ""]);
  });

  it("reads YAML as well as JSON", () => {
    const file = join(dir, "config.yaml");
    writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: key1\n              secret: ${key}\n      - identity: {}\n`);
    assert.equal(loadEncryptionConfiguration(file).resources[0]!.providers.length, 2);
    writeFileSync(file, "kind: Nope\n");
    assert.throws(() => loadEncryptionConfiguration(file), /error while parsing file/);
  });

  it("--secrets-encryption makes a 0600 file with a fresh 32-byte aescbc key once, then keeps it", () => {
    const file = join(dir, "tls", "encryption-config.json");
    ensureSecretsEncryptionConfig(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const first = readFileSync(file, "utf8");
    const doc = loadEncryptionConfiguration(file);
    const secret = doc.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret;
    assert.equal(Buffer.from(secret, "base64").length, 32);
    assert.deepEqual(doc.resources[0]!.resources, ["secrets"]);
    assert.ok(doc.resources[0]!.providers[1]!.identity);
    ensureSecretsEncryptionConfig(file);
    assert.equal(readFileSync(file, "utf8"), first);
  });
});
