import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ensurePki } from "./pki.js";

const dir = mkdtempSync(join(tmpdir(), "skiff-pki-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the serving certificate's names", () => {
  it("names the kubernetes Service and an address added later, which a restart keeps", async () => {
    const first = await ensurePki(dir, ["127.0.0.1"]);
    const names = (pem: string) => new X509Certificate(pem).subjectAltName ?? "";
    for (const n of ["IP Address:10.96.0.1", "IP Address:127.96.0.1", "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"]) assert.ok(names(first.serverCert).includes(n), n);
    assert.ok(!names(first.serverCert).includes("10.244.0.1"));
    const added = await ensurePki(dir, ["127.0.0.1", "10.244.0.1"]);
    assert.ok(names(added.serverCert).includes("IP Address:10.244.0.1"));
    assert.equal(added.caCert, first.caCert, "the same CA signs it");
    const restarted = await ensurePki(dir, ["127.0.0.1"]);
    assert.equal(restarted.serverCert, added.serverCert, "a restart that asks for fewer names reuses the certificate");
  });
});
