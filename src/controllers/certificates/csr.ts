/** What the CSR controllers share: the kubelet signers' names and the request's conditions. */
import type { Json, Obj } from "../controller.js";

export const KUBELET_SERVING = "kubernetes.io/kubelet-serving";
export const KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";
export const csrs = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false };

export const conditionOf = (csr: Obj, type: string): Json | undefined =>
  ((csr.status?.conditions ?? []) as Json[]).find((c) => c.type === type && c.status !== "False");

/** The PEM request of a CSR (spec.request is base64 of it). */
export const requestPem = (csr: Obj): string => Buffer.from(String(csr.spec?.request ?? ""), "base64").toString("utf8");
