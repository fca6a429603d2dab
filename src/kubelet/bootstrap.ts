/**
 * How an agent joins a cluster it has only a token for: TLS bootstrapping,
 * as the kubelet's (k3s's way of trusting the server first). It fetches the
 * cluster CA from /cacerts and trusts it only if it matches the token's
 * fingerprint; with the token's bootstrap credential `<id>.<secret>` it asks
 * for its client certificate through a CertificateSigningRequest (signer
 * kubernetes.io/kube-apiserver-client-kubelet, subject system:node:NAME in
 * system:nodes), which the server's approver approves after a
 * SubjectAccessReview and its signer signs. From then on it is
 * `system:node:NAME`, and as that asks for its kubelet's serving certificate
 * (signer kubernetes.io/kubelet-serving) and for the client certificates of
 * its Service proxy and cluster DNS. Keys and certificates are kept in
 * the data directory and reused while valid, so a restarted agent needs no
 * token that still works.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { join } from "node:path";
import { caFingerprint, clientCertificateRequest, kubeletClientRequest, kubeletServingRequest, NODE_COMPONENT_USERS, type NodeComponent } from "../pki/index.js";
import type { Client, KubeObject } from "../client/index.js";
import type { Logger } from "./types.js";

const csrs = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false };

/** The server's CA, checked against the token's fingerprint before anything is sent to the server. */
export async function fetchTrustedCA(server: string, caHash: string | undefined): Promise<string> {
  if (!caHash) throw new Error("the token carries no CA fingerprint (expected K10<sha256>::<id>.<secret>, as the server's DATA_DIR/node-token holds and skiff token create prints)");
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

/** A kept key and certificate, if both are there and the certificate is valid for longer than `margin` ms. */
function kept(certFile: string, keyFile: string, margin: number): { cert: string; key: string } | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  const cert = readFileSync(certFile, "utf8");
  if (Date.parse(new X509Certificate(cert).validTo) - Date.now() <= margin) return undefined;
  return { cert, key: readFileSync(keyFile, "utf8") };
}

/** The kubelet's client key and certificate (system:node:NAME): from the data directory while valid, else through a CSR made with `bootstrap`. */
export async function clientCertificate(bootstrap: () => Client, dir: string, nodeName: string, log: Logger, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "kubelet-client.crt");
  const keyFile = join(dir, "kubelet-client.key");
  // Renewed a day before it expires (the kubelet's rotation would do it earlier; a restart does it here).
  const have = kept(certFile, keyFile, 86400_000);
  if (have && new X509Certificate(have.cert).subject.split("\n").includes(`CN=system:node:${nodeName}`)) return have;
  const { csr, key } = await kubeletClientRequest(nodeName);
  const cert = await requestCertificate(bootstrap(), `node-csr-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, csr,
    "kubernetes.io/kube-apiserver-client-kubelet", ["digital signature", "client auth"], "kubelet client", log, signal);
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { cert, key };
}

/** Where each node component's key and certificate are kept, and the prefix of its CSRs' names. */
const COMPONENT_FILES: Record<NodeComponent, { file: string; csrPrefix: string }> = {
  proxy: { file: "kube-proxy", csrPrefix: "proxy-csr" },
  dns: { file: "coredns", csrPrefix: "coredns-csr" },
};

/**
 * The client key and certificate of one of the node's in-process components
 * (the Service proxy as system:kube-proxy, the cluster DNS as
 * system:coredns), asked for by the node itself, as system:node:NAME, from
 * the kube-apiserver-client signer; the approver approves exactly these
 * subjects for nodes (see NODE_COMPONENT_USERS). Upstream runs these
 * components as pods under their own service accounts; a Skiff node runs
 * them in-process, so they need credentials of their own, not the node's.
 */
export async function componentCertificate(client: Client, dir: string, component: NodeComponent, log: Logger, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { file, csrPrefix } = COMPONENT_FILES[component];
  const user = NODE_COMPONENT_USERS[component];
  const certFile = join(dir, `${file}.crt`);
  const keyFile = join(dir, `${file}.key`);
  const have = kept(certFile, keyFile, 86400_000);
  if (have && new X509Certificate(have.cert).subject === `CN=${user}`) return have;
  const { csr, key } = await clientCertificateRequest(user, []);
  const cert = await requestCertificate(client, `${csrPrefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, csr,
    "kubernetes.io/kube-apiserver-client", ["digital signature", "client auth"], `${user} client`, log, signal);
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { cert, key };
}

/** The kubelet's serving key and certificate: from the data directory while valid, else through a CSR. */
export async function servingCertificate(client: Client, dir: string, nodeName: string, ips: string[], dnsNames: string[], log: Logger, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, "kubelet-serving.crt");
  const keyFile = join(dir, "kubelet-serving.key");
  // Renewed a month before it expires.
  const have = kept(certFile, keyFile, 30 * 86400_000);
  if (have) return have;
  const { csr, key } = await kubeletServingRequest(nodeName, ips, dnsNames);
  const cert = await requestCertificate(client, `csr-${nodeName}-${Date.now().toString(36)}`, csr, "kubernetes.io/kubelet-serving", ["digital signature", "server auth"], "kubelet serving", log, signal);
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { cert, key };
}

/** Creates a CSR and waits for its certificate. */
async function requestCertificate(client: Client, name: string, csr: string, signerName: string, usages: string[], what: string, log: Logger, signal: AbortSignal): Promise<string> {
  await client.create(csrs, undefined, {
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
    spec: { request: Buffer.from(csr).toString("base64"), signerName, usages },
  } as KubeObject);
  log(`asked for the ${what} certificate`, { csr: name });
  // The server's approver and signer answer within milliseconds; a person approving by hand takes longer.
  for (let waited = 0, step = 25; !signal.aborted; waited += step, step = waited < 2000 ? 25 : 500) {
    const obj = await client.get<KubeObject & { status?: { certificate?: string; conditions?: { type: string; message?: string }[] } }>(csrs, undefined, name);
    const refused = obj.status?.conditions?.find((c) => c.type === "Denied" || c.type === "Failed");
    if (refused) throw new Error(`the ${what} certificate request ${name} was ${refused.type.toLowerCase()}: ${refused.message ?? ""}`);
    if (obj.status?.certificate) return Buffer.from(obj.status.certificate, "base64").toString("utf8");
    if (waited >= 10_000 && waited % 10_000 < step) log(`waiting for the ${what} certificate request to be approved and signed`, { csr: name, hint: `kubectl certificate approve ${name}` });
    await new Promise((r) => setTimeout(r, step));
  }
  throw new Error(`stopped while waiting for the ${what} certificate`);
}
