/**
 * The cluster's certificates: a CA made on first start in the data directory,
 * a serving certificate for the addresses served, the admin's client
 * certificate (CN admin, O system:masters) and the API server's client
 * certificate for kubelets (CN kube-apiserver-kubelet-client). Existing files are reused, so a
 * restarted server keeps its identity and old kubeconfigs keep working.
 */
import { createHash, webcrypto, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { ensureServiceAccountKey, type ServiceAccountKey } from "./service-account-key.js";

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const YEAR = 365 * 24 * 3600 * 1000;

/** The user the API server is to the kubelets (kubeadm's apiserver-kubelet-client certificate). */
export const KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /**
   * What the API server shows the kubelets it calls (logs, exec, attach,
   * port-forward, node proxy, stats): `CN=kube-apiserver-kubelet-client` as
   * kubeadm names it, without kubeadm's cluster-admin group: the kubelets
   * authorize it by SubjectAccessReview, and RBAC gives it
   * system:kubelet-api-admin only (bootstrap policy).
   */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /**
   * The front proxy's CA (front-proxy-ca.crt, apart from the cluster CA, as
   * kubeadm makes it) and the client certificate the API server shows
   * extension API servers when it proxies to them (CN front-proxy-client):
   * they trust the X-Remote-User and X-Remote-Group headers of a connection
   * with that certificate only.
   */
  frontProxyCaCert: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  /** Bearer token accepted for the admin, also written to the data directory. */
  adminToken: string;
  /** Signs a PKCS#10 request as the cluster CA (the CSR signer's job): a client or serving certificate for a year, or less if asked. */
  sign(csrPem: string, usage: "server" | "client", expirationSeconds?: number): Promise<string>;
  /** Signs and verifies service-account tokens (service-account.key beside the CA). */
  serviceAccountKey: ServiceAccountKey;
}

/**
 * The join token agents are given: the CA's fingerprint (so they can trust the
 * server on first contact) and a bootstrap token `<id>.<secret>`, as k3s's
 * `K10<sha256>::<id>.<secret>` form.
 */
export function joinToken(pki: Pki, bootstrapToken: string): string {
  return `K10${caFingerprint(pki.caCert)}::${bootstrapToken}`;
}

/** SHA-256 of the CA certificate as served at /cacerts. */
export function caFingerprint(caPem: string): string {
  return createHash("sha256").update(caPem).digest("hex");
}

/**
 * Splits a join token into the CA fingerprint and the credential: k3s's
 * `K10<sha256>::<id>.<secret>`, its `K10<sha256>::<user>:<password>` form
 * (user node or server, as older node-token files hold), or a bare token.
 */
export function parseJoinToken(token: string): { caHash?: string; secret: string } {
  const t = token.trim();
  const m = /^K10([0-9a-f]{64})::(.+)$/.exec(t);
  if (!m) return { secret: t };
  const userPassword = /^(?:node|server):(.+)$/.exec(m[2]!);
  return { caHash: m[1], secret: userPassword ? userPassword[1]! : m[2]! };
}

/**
 * A key and a certificate request for a kubelet's serving certificate
 * (CN system:node:NAME, O system:nodes, the node's addresses as SANs), as
 * the kubelet's certificate manager makes them.
 */
export async function kubeletServingRequest(nodeName: string, ips: string[], dnsNames: string[]): Promise<{ csr: string; key: string }> {
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=system:node:${nodeName}, O=system:nodes`, keys, signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([...dnsNames.map((value) => ({ type: "dns" as const, value })), ...ips.map((value) => ({ type: "ip" as const, value }))])],
  });
  return { csr: csr.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
}

/**
 * What a certificate request asks for: its subject and alternative names.
 * `subject` is the whole distinguished name ("CN=a, O=b") and
 * `alternativeNames` counts every SAN of any type, for approvers that allow
 * one exact subject and nothing more.
 */
export function describeRequest(csrPem: string): { commonName?: string; organizations: string[]; dnsNames: string[]; ips: string[]; subject: string; alternativeNames: number } {
  const req = new x509.Pkcs10CertificateRequest(csrPem);
  const names = requestedNames(req);
  return {
    commonName: req.subjectName.getField("CN")[0],
    organizations: req.subjectName.getField("O"),
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ips: names.filter((n) => n.type === "ip").map((n) => n.value),
    subject: req.subject,
    alternativeNames: names.length,
  };
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return crypto.subtle.importKey("pkcs8", der, alg, true, ["sign"]);
}

const serial = () => randomBytes(8).toString("hex").replace(/^[89a-f]/, "1");

/** The subject alternative names a request asks for. */
function requestedNames(req: x509.Pkcs10CertificateRequest): x509.JsonGeneralName[] {
  const ext = req.getExtension("2.5.29.17");
  return ext ? new x509.SubjectAlternativeNameExtension(ext.rawData).names.toJSON() : [];
}

/** A certificate for the key and subject of a PKCS#10 request, with the SANs it asks for. */
async function signRequest(ca: { cert: x509.X509Certificate; key: CryptoKey }, csrPem: string, usage: "server" | "client", expirationSeconds?: number): Promise<string> {
  const req = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await req.verify())) throw new Error("the request's signature does not match its key");
  const names = requestedNames(req);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey as unknown as CryptoKey),
    ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: req.subject, issuer: ca.cert.subject, notBefore: new Date(Date.now() - 3600_000),
    // As upstream: the requested duration if shorter than the signer's (a year), never under 10 minutes.
    notAfter: new Date(Date.now() + Math.min(YEAR, expirationSeconds ? Math.max(600, expirationSeconds) * 1000 : YEAR)),
    signingAlgorithm: alg, publicKey: await req.publicKey.export(crypto), signingKey: ca.key, extensions,
  });
  return cert.toString("pem") + "\n";
}

async function issue(ca: { cert: x509.X509Certificate; key: CryptoKey }, name: string, usage: "server" | "client", sans: x509.JsonGeneralName[] = []) {
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey as unknown as CryptoKey),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: name, issuer: ca.cert.subject, notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + YEAR),
    signingAlgorithm: alg, publicKey: keys.publicKey, signingKey: ca.key, extensions,
  });
  return { cert: cert.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
}

/**
 * A self-signed serving certificate, for a listener that must answer TLS
 * before it has a certificate of its own (the ingress's fallback, as
 * ingress-nginx's "Fake Certificate").
 */
export async function selfSignedCertificate(commonName: string, dnsNames: string[] = []): Promise<{ cert: string; key: string }> {
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=${commonName}`, notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + YEAR),
    signingAlgorithm: alg, keys,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(dnsNames.length ? [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: "dns" as const, value })))] : []),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: await keyPem(keys.privateKey) };
}

/** A CA kept as <name>.crt and <name>.key in dir, made (for ten years) when missing. */
async function ensureCa(dir: string, name: string, commonName: string): Promise<{ cert: x509.X509Certificate; key: CryptoKey; pem: string }> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const pem = readFileSync(certFile, "utf8");
    return { cert: new x509.X509Certificate(pem), key: await importKey(readFileSync(keyFile, "utf8")), pem };
  }
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=${commonName}`, notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 10 * YEAR),
    signingAlgorithm: alg, keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString("pem") + "\n";
  writeFileSync(keyFile, await keyPem(keys.privateKey), { mode: 0o600 });
  writeFileSync(certFile, pem);
  return { cert, key: keys.privateKey, pem };
}

/** Loads the PKI from dir, creating what is missing. extraSans are added to the serving certificate. */
export async function ensurePki(dir: string, extraSans: string[] = []): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (n: string) => join(dir, n);
  const ca = await ensureCa(dir, "ca", "skiff-ca");
  const caCertPem = ca.pem;

  // 127.96.0.1: where the process runtime's userspace proxy answers 10.96.0.1 (its loopback alias).
  const wanted = ["127.0.0.1", "::1", "10.96.0.1", "127.96.0.1", ...extraSans];
  const dns = ["localhost", hostname(), "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  // A certificate is reissued only when it lacks a wanted name, and keeps the
  // names it had: an address added after start (the pod network's gateway)
  // then survives a restart that asks for the first names only.
  const had = parseSans(readFileSafe(file("serving.sans")));
  const sans = [...new Set([...(had ?? []), ...wanted])].sort();
  const sanKey = JSON.stringify(sans);
  if (!existsSync(file("serving.crt")) || !had || wanted.some((n) => !had.includes(n))) {
    const general: x509.JsonGeneralName[] = [
      ...dns.map((value) => ({ type: "dns" as const, value })),
      ...[...new Set(sans)].filter((s) => /^[\d.]+$|:/.test(s)).map((value) => ({ type: "ip" as const, value })),
      ...[...new Set(sans)].filter((s) => !/^[\d.]+$|:/.test(s)).map((value) => ({ type: "dns" as const, value })),
    ];
    const s = await issue(ca, "CN=kube-apiserver", "server", general);
    writeFileSync(file("serving.key"), s.key, { mode: 0o600 });
    writeFileSync(file("serving.crt"), s.cert);
    writeFileSync(file("serving.sans"), sanKey);
  }
  if (!existsSync(file("admin.crt"))) {
    const a = await issue(ca, "CN=admin, O=system:masters", "client");
    writeFileSync(file("admin.key"), a.key, { mode: 0o600 });
    writeFileSync(file("admin.crt"), a.cert);
  }
  if (!existsSync(file("apiserver-kubelet-client.crt")) || !existsSync(file("apiserver-kubelet-client.key"))) {
    const k = await issue(ca, `CN=${KUBELET_CLIENT_USER}`, "client");
    writeFileSync(file("apiserver-kubelet-client.key"), k.key, { mode: 0o600 });
    writeFileSync(file("apiserver-kubelet-client.crt"), k.cert);
  }
  const frontProxyCa = await ensureCa(dir, "front-proxy-ca", "front-proxy-ca");
  if (!existsSync(file("front-proxy-client.crt")) || !existsSync(file("front-proxy-client.key"))) {
    const f = await issue(frontProxyCa, "CN=front-proxy-client", "client");
    writeFileSync(file("front-proxy-client.key"), f.key, { mode: 0o600 });
    writeFileSync(file("front-proxy-client.crt"), f.cert);
  }
  if (!existsSync(file("admin.token"))) writeFileSync(file("admin.token"), randomBytes(24).toString("hex") + "\n", { mode: 0o600 });
  return {
    caCert: caCertPem,
    serverCert: readFileSync(file("serving.crt"), "utf8"),
    serverKey: readFileSync(file("serving.key"), "utf8"),
    adminCert: readFileSync(file("admin.crt"), "utf8"),
    adminKey: readFileSync(file("admin.key"), "utf8"),
    kubeletClientCert: readFileSync(file("apiserver-kubelet-client.crt"), "utf8"),
    kubeletClientKey: readFileSync(file("apiserver-kubelet-client.key"), "utf8"),
    frontProxyCaCert: frontProxyCa.pem,
    frontProxyClientCert: readFileSync(file("front-proxy-client.crt"), "utf8"),
    frontProxyClientKey: readFileSync(file("front-proxy-client.key"), "utf8"),
    adminToken: readFileSync(file("admin.token"), "utf8").trim(),
    sign: (csrPem, usage, expirationSeconds) => signRequest(ca, csrPem, usage, expirationSeconds),
    serviceAccountKey: ensureServiceAccountKey(dir),
  };
}

function parseSans(text: string | undefined): string[] | undefined {
  try { return text ? (JSON.parse(text) as string[]) : undefined; } catch { return undefined; }
}

function readFileSafe(path: string): string | undefined {
  try { return readFileSync(path, "utf8"); } catch { return undefined; }
}

/** An admin kubeconfig with the CA and the client certificate embedded. */
export function adminKubeconfig(pki: Pki, server: string): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: skiff",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    "contexts:",
    "- name: skiff",
    "  context:",
    "    cluster: skiff",
    "    user: admin",
    "current-context: skiff",
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    "",
  ].join("\n");
}
