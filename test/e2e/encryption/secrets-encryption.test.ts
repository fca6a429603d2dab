/**
 * Secrets at rest: `skiff server --secrets-encryption` (k3s's flag) keeps a
 * Secret's value out of the SQLite files, reads it back across a restart, and
 * a key rotation through --encryption-provider-config moves it to the new key
 * with upstream's `kubectl get secrets -A -o json | kubectl replace -f -`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { kubectlFor } from "../../helpers/kubectl.js";
import { execFileSync } from "node:child_process";
import { repoRoot, startServer } from "../../helpers/skiff-server.js";
import { SqliteStore, loadEncryptionConfiguration } from "../../../src/storage/index.js";

const dataDir = mkdtempSync(join(tmpdir(), "skiff-e2e-encryption-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every byte SQLite keeps for the data directory: the database and its write-ahead log. */
function sqliteBytes(): Buffer {
  return Buffer.concat(["state.db", "state.db-wal"].map((f) => join(dataDir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

describe("secrets encryption at rest", () => {
  const password = randomBytes(18).toString("hex");

  it("--secrets-encryption keeps a secret's value out of the SQLite files and reads it back after a restart", async () => {
    {
      await using server = await startServer({ dataDir, args: ["--secrets-encryption"] });
      const kubectl = kubectlFor(server.kubeconfig);
      const config = join(dataDir, "tls", "encryption-config.json");
      assert.equal(statSync(config).mode & 0o777, 0o600);
      await kubectl.ok(["create", "secret", "generic", "s", `--from-literal=password=${password}`]);
      const bytes = sqliteBytes();
      assert.ok(bytes.includes("k8s:enc:aescbc:v1:aescbckey:"), "the stored value carries upstream's prefix");
      assert.ok(!bytes.includes(password), "no plaintext in the database or its WAL");
      assert.ok(!bytes.includes(Buffer.from(password).toString("base64")), "nor its base64");
      const read = await kubectl.ok(["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
      assert.equal(Buffer.from(read, "base64").toString(), password);
    }
    await using server = await startServer({ dataDir, args: ["--secrets-encryption"] });
    const read = await kubectlFor(server.kubeconfig).ok(["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
    assert.equal(Buffer.from(read, "base64").toString(), password);
  });

  it("rotates to a new key: add it first, restart, replace every secret unchanged", async () => {
    const generated = loadEncryptionConfiguration(join(dataDir, "tls", "encryption-config.json"));
    const rotated = join(dataDir, "rotated.yaml");
    writeFileSync(rotated, JSON.stringify({
      ...generated,
      resources: [{ resources: ["secrets"], providers: [{ aesgcm: { keys: [{ name: "second", secret: randomBytes(32).toString("base64") }] } }, ...generated.resources[0]!.providers] }],
    }), { mode: 0o600 });
    {
      await using server = await startServer({ dataDir, args: ["--encryption-provider-config", rotated] });
      const kubectl = kubectlFor(server.kubeconfig);
      const all = await kubectl.ok(["get", "secrets", "-A", "-o", "json"]);
      const replaced = await kubectl.ok(["replace", "-f", "-"], { input: all });
      assert.match(replaced, /secret\/s replaced/);
      const read = await kubectl.ok(["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
      assert.equal(Buffer.from(read, "base64").toString(), password);
    }
    const store = new SqliteStore(join(dataDir, "state.db"));
    try {
      assert.match((await store.get("/registry/secrets/default/s"))!.value, /^k8s:enc:aesgcm:v1:second:/);
    } finally {
      await store.close();
    }
  });

  it("skiff secrets-encrypt status shows the keys; reencrypt rewrites every secret under the active one", async () => {
    const skiff = (...args: string[]) => execFileSync(process.execPath, [join(repoRoot, "bin/skiff.js"), "secrets-encrypt", ...args, "--data-dir", dataDir], { encoding: "utf8" });
    const rotated = join(dataDir, "rotated.yaml");
    const before = loadEncryptionConfiguration(rotated);
    const third = join(dataDir, "third.yaml");
    writeFileSync(third, JSON.stringify({
      ...before, resources: [{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "third", secret: randomBytes(32).toString("base64") }] } }, ...before.resources[0]!.providers] }],
    }), { mode: 0o600 });
    const status = skiff("status", "--encryption-provider-config", third);
    assert.match(status, /^Encryption Status: Enabled\n/);
    assert.match(status, /^ \*\s+AES-CBC\s+third$/m);
    assert.match(status, /^\s+AES-GCM\s+second$/m);
    assert.match(status, /^\s+Identity\s+-$/m);
    {
      await using server = await startServer({ dataDir, args: ["--encryption-provider-config", third] });
      const kubectl = kubectlFor(server.kubeconfig);
      await kubectl.ok(["create", "namespace", "other"]);
      await kubectl.ok(["create", "secret", "generic", "t", "-n", "other", "--from-literal=x=y"]);
      assert.match(skiff("reencrypt"), /^\d+ secrets rewritten$/m);
      const read = await kubectl.ok(["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
      assert.equal(Buffer.from(read, "base64").toString(), password);
    }
    const store = new SqliteStore(join(dataDir, "state.db"));
    try {
      for (const key of ["/registry/secrets/default/s", "/registry/secrets/other/t"]) {
        assert.match((await store.get(key))!.value, /^k8s:enc:aescbc:v1:third:/, key);
      }
    } finally {
      await store.close();
    }
    assert.match(execFileSync(process.execPath, [join(repoRoot, "bin/skiff.js"), "secrets-encrypt", "status", "--data-dir", join(dataDir, "nowhere")], { encoding: "utf8" }), /Disabled, no configuration file found/);
  });
});
