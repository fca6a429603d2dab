/**
 * A client certificate for one of the cluster's own components (the
 * scheduler, the controller manager, a node's kubelet or proxy), issued by
 * the cluster CA, as kubeadm and k3s give each component its identity.
 */
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { Pki } from "./pki.js";

const crypto = webcrypto as unknown as Crypto;
const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** Escapes a value for an X.500 name written as text (RFC 4514). */
function rdnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, "\\$1");
}

export async function issueClientCertificate(pki: Pki, commonName: string, organizations: string[] = []): Promise<{ cert: string; key: string }> {
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const name = [`CN=${rdnValue(commonName)}`, ...organizations.map((o) => `O=${rdnValue(o)}`)].join(", ");
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: alg });
  const cert = await pki.sign(csr.toString("pem") + "\n", "client");
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { cert, key };
}
