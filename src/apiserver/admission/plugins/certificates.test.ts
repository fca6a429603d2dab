import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceInfo } from "../../../api/resources.js";
import { clientCertificateRequest } from "../../../pki/index.js";
import type { Attributes, Authorizer } from "../../authorization/authorizer.js";
import type { AdmissionAttributes, AdmissionObject } from "../admission.js";
import { CertificateApproval } from "./certificate-approval.js";
import { CertificateSigning } from "./certificate-signing.js";
import { CertificateSubjectRestriction } from "./certificate-subject-restriction.js";

const csrInfo = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false } as ResourceInfo;

/** Allows user "approver" to approve kubernetes.io/* and user "signer" to sign example.com/exact, and records what was asked. */
function fakeAuthorizer(asked: Attributes[]): Authorizer {
  return {
    authorize(a) {
      asked.push(a);
      const ok = a.resource === "signers" && a.apiGroup === "certificates.k8s.io" &&
        ((a.user.username === "approver" && a.verb === "approve" && a.name === "kubernetes.io/*") ||
         (a.user.username === "signer" && a.verb === "sign" && a.name === "example.com/exact"));
      return { decision: ok ? "Allow" : "NoOpinion", reason: "" };
    },
  };
}

function attrs(a: Partial<AdmissionAttributes>): AdmissionAttributes {
  return { info: csrInfo, operation: "UPDATE", object: {} as Partial<AdmissionObject> as AdmissionObject, namespace: "", name: "csr-1", subresource: "", user: { username: "nobody", groups: [] }, dryRun: false, addWarning: () => {}, ...a };
}
const run = (f: () => void) => { try { f(); return "ok"; } catch (err) { return `${(err as { code: number }).code} ${(err as Error).message}`; } };

describe("certificate admission plugins", () => {
  it("CertificateApproval asks for approve on the signer, then on its domain", () => {
    const asked: Attributes[] = [];
    const p = new CertificateApproval({ authorizer: fakeAuthorizer(asked) });
    const csr = { metadata: { name: "csr-1" }, spec: { signerName: "kubernetes.io/kube-apiserver-client-kubelet" } };
    assert.equal(run(() => p.validate(attrs({ subresource: "approval", object: csr, user: { username: "approver", groups: [] } }))), "ok");
    assert.deepEqual(asked.map((a) => [a.verb, a.resource, a.name]), [["approve", "signers", "kubernetes.io/kube-apiserver-client-kubelet"], ["approve", "signers", "kubernetes.io/*"]]);
    assert.equal(run(() => p.validate(attrs({ subresource: "approval", object: csr }))),
      `403 certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client-kubelet"`);
    // Not the approval subresource: not this plugin's business.
    assert.equal(run(() => p.validate(attrs({ subresource: "", object: csr }))), "ok");
  });

  it("CertificateSigning asks for sign only when the certificate changes", () => {
    const p = new CertificateSigning({ authorizer: fakeAuthorizer([]) });
    const old = { metadata: { name: "csr-1" }, spec: { signerName: "example.com/exact" }, status: {} };
    const signed = { ...old, status: { certificate: "Y2VydA==" } };
    assert.equal(run(() => p.validate(attrs({ subresource: "status", oldObject: old, object: signed, user: { username: "signer", groups: [] } }))), "ok");
    assert.equal(run(() => p.validate(attrs({ subresource: "status", oldObject: old, object: signed }))),
      `403 certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: user not permitted to sign requests with signerName "example.com/exact"`);
    assert.equal(run(() => p.validate(attrs({ subresource: "status", oldObject: old, object: { ...old, status: { conditions: [] } } }))), "ok");
  });

  it("CertificateSubjectRestriction refuses system:masters from kube-apiserver-client", async () => {
    const p = new CertificateSubjectRestriction();
    const masters = Buffer.from((await clientCertificateRequest("mallory", ["system:masters"])).csr).toString("base64");
    const plain = Buffer.from((await clientCertificateRequest("alice", ["devs"])).csr).toString("base64");
    const create = (signerName: string, request: string) => attrs({ operation: "CREATE", name: "", object: { metadata: { name: "csr-1" }, spec: { signerName, request } } });
    assert.equal(run(() => p.validate(create("kubernetes.io/kube-apiserver-client", masters))),
      `403 certificatesigningrequests.certificates.k8s.io "csr-1" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed`);
    assert.equal(run(() => p.validate(create("kubernetes.io/kube-apiserver-client", plain))), "ok");
    assert.equal(run(() => p.validate(create("example.com/other", masters))), "ok");
    assert.match(run(() => p.validate(create("kubernetes.io/kube-apiserver-client", "bm90IGEgcmVxdWVzdA=="))), /^403 .*failed to parse CSR/);
  });
});
