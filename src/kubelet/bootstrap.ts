/**
 * How an agent joins a cluster it has only a token for (k3s's way, on the
 * Kubernetes API): it fetches the cluster CA from /cacerts and trusts it only
 * if it matches the token's fingerprint; it then talks to the API with the
 * token's secret, and asks for its kubelet's serving certificate through a
 * CertificateSigningRequest (signer kubernetes.io/kubelet-serving), which the
 * server approves and signs. The key and certificate are kept in the data
 * directory and reused while valid.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { caFingerprint, kubeletServingRequest } from "../pki/index.js";
import type { Client, KubeObject } from "../client/index.js";
import type { Logger } from "./types.js";

const csrs = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false };

/** The server's CA, checked against the token's fingerprint before anything is sent to the server. */
export async function fetchTrustedCA(server: string, caHash: string | undefined): Promise<string> {
  if (!caHash) throw new Error("the token carries no CA fingerprint (expected K10<sha256>::node:<secret>, as the server's DATA_DIR/node-token holds)");
  const pem = await new Promise<string>((resolve, reject) => {
    // Not yet trusted: the fingerprint below is what makes the answer trustworthy.
    get(new URL("/cacerts", server), { rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${server}/cacerts answered ${res.statusCode}`))));
    }).on("error", (err) => reject(new Error(`cannot reach ${server}: ${err.message}`)));
  });
  if (caFingerprint(pem) !== caHash) throw new Error(`the CA served by ${server} does not match the token's fingerprint: wrong server or wrong token`);
  return pem;
}

/** The kubelet's serving key and certificate: from the data directory while valid, else through a CSR. */
export async function servingCertificate(client: Client, dir: string, nodeName: string, ips: string[], dnsNames: string[], log: Logger, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "kubelet-serving.crt");
  const keyFile = join(dir, "kubelet-serving.key");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, "utf8");
    // Renewed a month before it expires.
    if (Date.parse(new X509Certificate(cert).validTo) - Date.now() > 30 * 86400_000) return { cert, key: readFileSync(keyFile, "utf8") };
  }
  const { csr, key } = await kubeletServingRequest(nodeName, ips, dnsNames);
  const name = `csr-${nodeName}-${Date.now().toString(36)}`;
  await client.create(csrs, undefined, {
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
    spec: { request: Buffer.from(csr).toString("base64"), signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"] },
  } as KubeObject);
  log("asked for the kubelet's serving certificate", { csr: name });
  // The server's approver and signer answer within milliseconds; a person approving by hand takes longer.
  for (let waited = 0, step = 25; !signal.aborted; waited += step, step = waited < 2000 ? 25 : 500) {
    const obj = await client.get<KubeObject & { status?: { certificate?: string; conditions?: { type: string; message?: string }[] } }>(csrs, undefined, name);
    const refused = obj.status?.conditions?.find((c) => c.type === "Denied" || c.type === "Failed");
    if (refused) throw new Error(`the serving certificate request ${name} was ${refused.type.toLowerCase()}: ${refused.message ?? ""}`);
    if (obj.status?.certificate) {
      const cert = Buffer.from(obj.status.certificate, "base64").toString("utf8");
      writeFileSync(keyFile, key, { mode: 0o600 });
      writeFileSync(certFile, cert);
      return { cert, key };
    }
    if (waited >= 10_000 && waited % 10_000 < step) log("waiting for the serving certificate request to be approved and signed", { csr: name, hint: `kubectl certificate approve ${name}` });
    await new Promise((r) => setTimeout(r, step));
  }
  throw new Error("stopped while waiting for the serving certificate");
}
