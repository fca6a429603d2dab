import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { caFingerprint, ensurePki } from "../pki/index.js";
import { joinServer, serverJoinToken } from "./server-join.js";

// Nothing listens here: a join that needs no server must not dial one.
const UNREACHABLE = "https://127.0.0.1:1";

describe("joinServer", () => {
  it("wants the CA hash and a server token", () => {
    assert.throws(() => serverJoinToken("abcdef.0123456789abcdef"), /must carry the CA's fingerprint/);
    assert.throws(() => serverJoinToken(`K10${"a".repeat(64)}::not-a-token`), /must end in the server token/);
    assert.deepEqual(serverJoinToken(`K10${"a".repeat(64)}::server:abcdef.0123456789abcdef`), { caHash: "a".repeat(64), secret: "abcdef.0123456789abcdef" });
  });

  it("restarts from its own files once joined, and refuses a data dir of another cluster, without dialling", async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-server-join-"));
    try {
      const pki = await ensurePki(join(dir, "tls"));
      const token = `K10${caFingerprint(pki.caCert)}::abcdef.0123456789abcdef`;
      assert.equal(await joinServer(UNREACHABLE, token, join(dir, "tls")), false);
      await assert.rejects(joinServer(UNREACHABLE, `K10${"0".repeat(64)}::abcdef.0123456789abcdef`, join(dir, "tls")), /another cluster's CA than the token names/);
      await assert.rejects(joinServer(UNREACHABLE, token, join(dir, "fresh")), /cannot reach https:\/\/127\.0\.0\.1:1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
