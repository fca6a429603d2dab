import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { caFingerprint, ensurePki } from "./pki.js";
import { keptCaFingerprint, readServerBootstrap, writeServerBootstrap } from "./server-bootstrap.js";

describe("server bootstrap data", () => {
  it("carries the CAs and keys to a joining server, whose own certificates then come from the same CA", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-server-bootstrap-"));
    try {
      const first = await ensurePki(join(dir, "first"), ["127.0.0.2"]);
      const data = readServerBootstrap(join(dir, "first"));
      assert.deepEqual(Object.keys(data.files).sort(), ["admin.token", "ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "service-account.key"]);
      const hash = caFingerprint(first.caCert);
      writeServerBootstrap(join(dir, "second"), data, hash);
      assert.equal(keptCaFingerprint(join(dir, "second")), hash);
      const second = await ensurePki(join(dir, "second"), ["127.0.0.3"]);
      assert.equal(second.caCert, first.caCert);
      assert.equal(second.frontProxyCaCert, first.frontProxyCaCert);
      assert.equal(second.serviceAccountKey.keyId, first.serviceAccountKey.keyId);
      assert.equal(second.adminToken, first.adminToken);
      assert.notEqual(second.serverCert, first.serverCert, "each server its own serving certificate");
      assert.match(readFileSync(join(dir, "second", "serving.sans"), "utf8"), /127\.0\.0\.3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses data of another CA than the token names, or lacking a key, and writes only its own file names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-server-bootstrap-"));
    try {
      const first = await ensurePki(join(dir, "first"));
      const data = readServerBootstrap(join(dir, "first"));
      assert.throws(() => writeServerBootstrap(join(dir, "a"), data, "0".repeat(64)), /another CA than the token names/);
      const { "ca.key": _, ...lacking } = data.files;
      assert.throws(() => writeServerBootstrap(join(dir, "b"), { files: lacking }, caFingerprint(first.caCert)), /lack ca\.key/);
      assert.ok(!existsSync(join(dir, "a", "ca.crt")) && !existsSync(join(dir, "b", "ca.crt")), "nothing written on refusal");
      writeServerBootstrap(join(dir, "c"), { files: { ...data.files, "../escape": "x" } }, caFingerprint(first.caCert));
      assert.ok(!existsSync(join(dir, "escape")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
