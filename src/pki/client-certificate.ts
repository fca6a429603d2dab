/**
 * Client certificates for the cluster's own identities: the server's node
 * (`system:node:NAME` in `system:nodes`), the scheduler and controller manager
 * (`system:kube-scheduler`, `system:kube-controller-manager`), issued straight
 * from the CA where it is at hand, or asked for through a CSR by an agent.
 */
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { Pki } from "./pki.js";

const crypto = webcrypto as unknown as Crypto;
const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** RFC 4514 escaping of one attribute value, so a name with a comma or plus stays one value. */
const escapeDn = (v: string) => v.replace(/([,+"\\<>;=])/g, "\\$1").replace(/^([#\s])/, "\\$1").replace(/\s$/, "\\ ");

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/** A fresh key and a PKCS#10 request for a client certificate with the given subject. */
export async function clientCertificateRequest(commonName: string, organizations: string[]): Promise<{ csr: string; key: string }> {
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const name = [`CN=${escapeDn(commonName)}`, ...organizations.map((o) => `O=${escapeDn(o)}`)].join(", ");
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: alg });
  return { csr: csr.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
}

/** The request a kubelet makes for its client certificate (upstream's kubelet-client signer takes CN system:node:NAME, O system:nodes). */
export function kubeletClientRequest(nodeName: string): Promise<{ csr: string; key: string }> {
  return clientCertificateRequest(`system:node:${nodeName}`, ["system:nodes"]);
}

/** A client certificate (CN commonName, O organizations) signed by the cluster CA, valid a year. */
export async function issueClientCertificate(pki: Pki, commonName: string, organizations: string[] = []): Promise<{ cert: string; key: string }> {
  const { csr, key } = await clientCertificateRequest(commonName, organizations);
  return { cert: await pki.sign(csr, "client"), key };
}
