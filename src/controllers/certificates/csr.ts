/** What the CSR controllers share: the kubelet signers' names and the request's conditions. */
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from "kubernetes-types/certificates/v1.js";

export const KUBELET_SERVING = "kubernetes.io/kubelet-serving";
export const KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
export const csrs = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false };

export const conditionOf = (csr: CertificateSigningRequest, type: string): CertificateSigningRequestCondition | undefined =>
  (csr.status?.conditions ?? []).find((c) => c.type === type && c.status !== "False");

/** The PEM request of a CSR (spec.request is base64 of it). */
export const requestPem = (csr: CertificateSigningRequest): string => Buffer.from(String(csr.spec?.request ?? ""), "base64").toString("utf8");
