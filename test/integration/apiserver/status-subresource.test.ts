/**
 * Writes through /status and /approval keep what upstream keeps: metadata
 * changes (an annotation a controller adds with its status) are stored, the
 * spec is not touched, and a pod's owner references stay as they were.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startControlPlane } from "../../helpers/control-plane.js";
import { kubectlFor } from "../../helpers/kubectl.js";

/** A certificate request made as a user makes one, with openssl. */
function csrRequest(): string {
  const dir = mkdtempSync(join(tmpdir(), "skiff-csr-"));
  try {
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "req.pem"), "-subj", "/CN=e2e.example.com"], { stdio: "ignore" });
    return readFileSync(join(dir, "req.pem")).toString("base64");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("status subresources", () => {
  it("store metadata changes with the status, and leave the spec and a pod's owners alone", async () => {
    await using cp = await startControlPlane();
    const kubectl = kubectlFor(cp.kubeconfig);
    const json = async (args: string[]) => JSON.parse(await kubectl.ok([...args, "-o", "json"]));

    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: "e2e" },
      spec: { request: csrRequest(), signerName: "example.com/e2e", usages: ["digital signature", "server auth"] },
    }) });
    const approval = { metadata: { annotations: { "patched-approval": "true" } }, status: { conditions: [{ type: "ApprovalPatch", status: "True", reason: "e2e" }] } };
    await kubectl.ok(["patch", "csr", "e2e", "--subresource=approval", "--type=merge", "-p", JSON.stringify(approval)]);
    const afterApproval = await json(["get", "csr", "e2e"]);
    assert.equal(afterApproval.metadata.annotations["patched-approval"], "true");
    assert.deepEqual(afterApproval.status.conditions.map((c: { type: string }) => c.type), ["ApprovalPatch"]);
    await kubectl.ok(["patch", "csr", "e2e", "--subresource=status", "--type=merge", "-p", JSON.stringify({ metadata: { annotations: { "patched-status": "true" } }, spec: { signerName: "example.com/other" } })]);
    const afterStatus = await json(["get", "csr", "e2e"]);
    assert.equal(afterStatus.metadata.annotations["patched-status"], "true");
    assert.equal(afterStatus.spec.signerName, "example.com/e2e", "a status write leaves the spec");

    await kubectl.ok(["create", "configmap", "owner"]);
    const owner = await json(["get", "configmap", "owner"]);
    await kubectl.ok(["apply", "-f", "-"], { input: JSON.stringify({
      apiVersion: "v1", kind: "Pod",
      metadata: { name: "p", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid }] },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    }) });
    await kubectl.ok(["patch", "pod", "p", "--subresource=status", "--type=merge", "-p", JSON.stringify({ metadata: { labels: { seen: "yes" }, ownerReferences: null } })]);
    const pod = await json(["get", "pod", "p"]);
    assert.equal(pod.metadata.labels.seen, "yes");
    assert.equal(pod.metadata.ownerReferences?.[0]?.uid, owner.metadata.uid, "pods/status keeps the owner references");
  });
});
