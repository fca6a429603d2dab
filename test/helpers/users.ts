/**
 * A user as an administrator makes one: a key and a certificate request made
 * with openssl, a CertificateSigningRequest approved with kubectl, and a
 * kubeconfig holding the issued certificate.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, type kubectlFor } from "./kubectl.js";

export async function userFromCsr(admin: ReturnType<typeof kubectlFor>, opts: { name: string; groups?: string[]; dir: string; server: string; caFile: string }): Promise<string> {
  const key = join(opts.dir, `${opts.name}.key`);
  const request = join(opts.dir, `${opts.name}.csr`);
  const subject = `/CN=${opts.name}${(opts.groups ?? []).map((g) => `/O=${g}`).join("")}`;
  execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", subject], { stdio: "ignore" });
  await admin.ok(["apply", "-f", "-"], { input: JSON.stringify({
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name: `user-${opts.name}` },
    spec: { request: readFileSync(request).toString("base64"), signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"] },
  }) });
  await admin.ok(["certificate", "approve", `user-${opts.name}`]);
  const issued = await eventually(async () => JSON.parse(await admin.ok(["get", "csr", `user-${opts.name}`, "-o", "json"])).status?.certificate as string | undefined, 15_000, 200);
  const cert = join(opts.dir, `${opts.name}.crt`);
  writeFileSync(cert, Buffer.from(issued!, "base64"));
  const kubeconfig = join(opts.dir, `${opts.name}.kubeconfig`);
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", `current-context: ${opts.name}`,
    `clusters: [{name: skiff, cluster: {server: "${opts.server}", certificate-authority: "${opts.caFile}"}}]`,
    `users: [{name: ${opts.name}, user: {client-certificate: "${cert}", client-key: "${key}"}}]`,
    `contexts: [{name: ${opts.name}, context: {cluster: skiff, user: ${opts.name}}}]`, "",
  ].join("\n"));
  return kubeconfig;
}

/** A kubeconfig that presents a bearer token (a service account's, say) and nothing else. */
export function tokenKubeconfig(opts: { name: string; token: string; dir: string; server: string; caFile: string }): string {
  const kubeconfig = join(opts.dir, `${opts.name}.kubeconfig`);
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", `current-context: ${opts.name}`,
    `clusters: [{name: skiff, cluster: {server: "${opts.server}", certificate-authority: "${opts.caFile}"}}]`,
    `users: [{name: ${opts.name}, user: {token: "${opts.token}"}}]`,
    `contexts: [{name: ${opts.name}, context: {cluster: skiff, user: ${opts.name}}}]`, "",
  ].join("\n"));
  return kubeconfig;
}
