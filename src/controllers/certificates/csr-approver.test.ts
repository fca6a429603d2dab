import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { clientCertificateRequest, describeRequest, kubeletServingRequest } from "../../pki/index.js";
import type { CertificateSigningRequest, CertificateSigningRequestSpec } from "kubernetes-types/certificates/v1.js";
import { notAutoApprovableNodeComponent, notAutoApprovableServing, notKubeletClient, recognize } from "./csr-approver.js";

type Spec = Omit<CertificateSigningRequestSpec, "request">;
const csrOf = (pem: string, spec: Spec): CertificateSigningRequest => ({ metadata: { name: "csr" }, spec: { request: Buffer.from(pem).toString("base64"), ...spec } });
const parsed = (csr: CertificateSigningRequest) => describeRequest(Buffer.from(csr.spec!.request, "base64").toString());

describe("csr approver rules", async () => {
  const kubelet = (await clientCertificateRequest("system:node:a", ["system:nodes"])).csr;
  const twoOrgs = (await clientCertificateRequest("system:node:a", ["system:nodes", "system:masters"])).csr;
  const notNode = (await clientCertificateRequest("alice", ["system:nodes"])).csr;
  const serving = (await kubeletServingRequest("a", ["127.0.0.1"], ["a"])).csr;
  const client = { signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["digital signature", "client auth"] };

  it("recognises a bootstrap request as nodeclient, a node's own as selfnodeclient first", () => {
    const boot = csrOf(kubelet, { ...client, username: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] });
    assert.deepEqual(recognize(boot, parsed(boot)).map((r) => r.subresource), ["nodeclient"]);
    assert.equal(recognize(boot, parsed(boot))[0]!.message, "Auto approving kubelet client certificate after SubjectAccessReview.");
    const self = csrOf(kubelet, { ...client, username: "system:node:a", groups: ["system:nodes"] });
    assert.deepEqual(recognize(self, parsed(self)).map((r) => r.subresource), ["selfnodeclient", "nodeclient"]);
    assert.equal(recognize(self, parsed(self))[0]!.message, "Auto approving self kubelet client certificate after SubjectAccessReview.");
  });

  const clientCases: [string, string, Spec, string | undefined][] = [
    ["client usages", kubelet, client, undefined],
    ["with key encipherment (RSA)", kubelet, { ...client, usages: ["digital signature", "key encipherment", "client auth"] }, undefined],
    ["another signer", kubelet, { ...client, signerName: "kubernetes.io/kube-apiserver-client" }, "not a kubelet client certificate"],
    ["server usages", kubelet, { ...client, usages: ["digital signature", "server auth"] }, "usages did not match [client auth digital signature key encipherment]"],
    ["client plus server usages", kubelet, { ...client, usages: ["digital signature", "client auth", "server auth"] }, "usages did not match [client auth digital signature key encipherment]"],
    ["a second organization", twoOrgs, client, "subject organization is not system:nodes"],
    ["a subject that is not a node", notNode, client, "subject common name does not begin with system:node:"],
    ["alternative names", serving, client, "dnsNames, emailAddresses, ipAddresses and uris are not allowed"],
  ];
  for (const [what, pem, spec, want] of clientCases) {
    it(`kubelet client: ${what}`, () => {
      const csr = csrOf(pem, spec);
      assert.equal(notKubeletClient(csr, parsed(csr)), want);
    });
  }

  const servingSpec = { signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"], username: "system:node:a", groups: ["system:nodes", "system:authenticated"] };
  const servingCases: [string, string, Spec, string | undefined][] = [
    ["the node's own", serving, servingSpec, undefined],
    ["asked by another node", serving, { ...servingSpec, username: "system:node:b" }, "requested by another user than the subject"],
    ["asked by a bootstrap token", serving, { ...servingSpec, username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] }, "not requested by a node"],
    ["client usages", serving, { ...servingSpec, usages: ["client auth"] }, "usages other than serving"],
    ["no addresses", kubelet, servingSpec, "no DNS names or IP addresses"],
  ];
  for (const [what, pem, spec, want] of servingCases) {
    it(`kubelet serving: ${what}`, () => {
      const csr = csrOf(pem, spec);
      assert.equal(notAutoApprovableServing(csr, parsed(csr)), want);
    });
  }
});

/** A request with any subject and SANs, for the cases the pki helpers do not make. */
async function rawRequest(name: string, sans: { type: "dns" | "ip" | "email" | "url"; value: string }[] = []): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const extensions = sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [];
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: alg, extensions })).toString("pem");
}

describe("csr approver: a node's certificates for its proxy and DNS, and nothing else", async () => {
  const proxy = (await clientCertificateRequest("system:kube-proxy", [])).csr;
  const dns = (await clientCertificateRequest("system:coredns", [])).csr;
  const proxyInGroup = (await clientCertificateRequest("system:kube-proxy", ["system:masters"])).csr;
  const dnsAsNode = (await clientCertificateRequest("system:coredns", ["system:nodes"])).csr;
  const controllerManager = (await clientCertificateRequest("system:kube-controller-manager", [])).csr;
  const admin = (await clientCertificateRequest("admin", ["system:masters"])).csr;
  const otherNode = (await clientCertificateRequest("system:node:b", ["system:nodes"])).csr;
  const withUnit = await rawRequest("CN=system:kube-proxy, OU=ops");
  const twoNames = await rawRequest("CN=system:coredns, CN=system:kube-controller-manager");
  const withEmail = await rawRequest("CN=system:coredns", [{ type: "email", value: "dns@example.invalid" }]);
  const spec = { signerName: "kubernetes.io/kube-apiserver-client", usages: ["digital signature", "client auth"], username: "system:node:a", groups: ["system:nodes", "system:authenticated"] };
  const notExact = "subject is not exactly one of CN=system:kube-proxy, CN=system:coredns";
  const cases: [string, string, Spec, string | undefined][] = [
    ["the proxy's, asked by a node", proxy, spec, undefined],
    ["the DNS's, asked by a node", dns, spec, undefined],
    ["with key encipherment (RSA)", dns, { ...spec, usages: ["digital signature", "key encipherment", "client auth"] }, undefined],
    ["asked by a bootstrap token", proxy, { ...spec, username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] }, "not requested by a node"],
    ["asked by a user who calls itself a node but is not in system:nodes", proxy, { ...spec, groups: ["system:authenticated"] }, "not requested by a node"],
    ["system:kube-proxy in system:masters", proxyInGroup, spec, notExact],
    ["system:coredns in system:nodes", dnsAsNode, spec, notExact],
    ["system:kube-controller-manager", controllerManager, spec, notExact],
    ["an admin in system:masters", admin, spec, notExact],
    ["another node's client identity", otherNode, spec, notExact],
    ["an extra subject attribute", withUnit, spec, notExact],
    ["a second common name", twoNames, spec, notExact],
    ["an alternative name", withEmail, spec, "alternative names are not allowed"],
    ["server usages", proxy, { ...spec, usages: ["server auth"] }, "usages other than client"],
    ["client plus server usages", dns, { ...spec, usages: ["digital signature", "client auth", "server auth"] }, "usages other than client"],
    ["the kubelet client signer", proxy, { ...spec, signerName: "kubernetes.io/kube-apiserver-client-kubelet" }, "not a kube-apiserver-client certificate"],
    ["the kubelet serving signer", dns, { ...spec, signerName: "kubernetes.io/kubelet-serving" }, "not a kube-apiserver-client certificate"],
  ];
  for (const [what, pem, s, want] of cases) {
    it(what, () => {
      const csr = csrOf(pem, s);
      assert.equal(notAutoApprovableNodeComponent(csr, parsed(csr)), want);
    });
  }

  it("a node's request for another node's client certificate is recognised for nodeclient only, which nodes are not given", () => {
    const csr = csrOf(otherNode, { signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["digital signature", "client auth"], username: "system:node:a", groups: ["system:nodes"] });
    assert.deepEqual(recognize(csr, parsed(csr)).map((r) => r.subresource), ["nodeclient"]);
  });
});
