import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientCertificateRequest, describeRequest, kubeletServingRequest } from "../../pki/index.js";
import type { Obj } from "../controller.js";
import { notAutoApprovableProxy, notAutoApprovableServing, notKubeletClient, recognize } from "./csr-approver.js";

const csrOf = (pem: string, spec: Record<string, unknown>): Obj => ({ metadata: { name: "csr" }, spec: { request: Buffer.from(pem).toString("base64"), ...spec } });
const parsed = (csr: Obj) => describeRequest(Buffer.from(csr.spec.request, "base64").toString());

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

  const clientCases: [string, string, Record<string, unknown>, string | undefined][] = [
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
  const servingCases: [string, string, Record<string, unknown>, string | undefined][] = [
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

describe("csr approver: a node's kube-proxy certificate", async () => {
  const proxy = (await clientCertificateRequest("system:kube-proxy", [])).csr;
  const proxyInGroup = (await clientCertificateRequest("system:kube-proxy", ["system:masters"])).csr;
  const spec = { signerName: "kubernetes.io/kube-apiserver-client", usages: ["digital signature", "client auth"], username: "system:node:a", groups: ["system:nodes", "system:authenticated"] };
  const cases: [string, string, Record<string, unknown>, string | undefined][] = [
    ["asked by a node", proxy, spec, undefined],
    ["asked by a bootstrap token", proxy, { ...spec, username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] }, "not requested by a node"],
    ["with a group", proxyInGroup, spec, "subject is not system:kube-proxy without groups"],
    ["server usages", proxy, { ...spec, usages: ["server auth"] }, "usages other than client"],
    ["another signer", proxy, { ...spec, signerName: "kubernetes.io/kube-apiserver-client-kubelet" }, "not a kube-apiserver-client certificate"],
  ];
  for (const [what, pem, s, want] of cases) {
    it(what, () => {
      const csr = csrOf(pem, s);
      assert.equal(notAutoApprovableProxy(csr, parsed(csr)), want);
    });
  }
});
