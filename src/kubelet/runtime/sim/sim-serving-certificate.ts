/**
 * A serving certificate for the simulated nodes' stats endpoint when `skiff
 * sim` runs apart from the server: asked for as a kubelet asks for its own
 * (signer kubernetes.io/kubelet-serving, the nodes' names and the endpoint's
 * address in it) and approved with the simulator's own credentials, which
 * must be allowed to approve (an admin's are). The server's signer signs it.
 */
import type { Client, KubeObject } from "../../../client/index.js";
import { kubeletServingRequest } from "../../../pki/index.js";

const csrs = { group: "certificates.k8s.io", version: "v1", resource: "certificatesigningrequests", namespaced: false };

type Csr = KubeObject & { status?: { certificate?: string; conditions?: { type: string; status?: string; message?: string }[] } };

export async function simServingCertificate(client: Client, nodeNames: string[], address: string, signal: AbortSignal): Promise<{ cert: string; key: string }> {
  const { csr, key } = await kubeletServingRequest(nodeNames[0]!, [address], nodeNames);
  const name = `csr-sim-${nodeNames[0]}-${Date.now().toString(36)}`;
  const created = await client.create<Csr>(csrs, undefined, {
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
    spec: { request: Buffer.from(csr).toString("base64"), signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"] },
  } as KubeObject);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await client.update(csrs, undefined, {
    ...created, status: { conditions: [{ type: "Approved", status: "True", reason: "SimulatedNodes", message: "approved by skiff sim for its simulated nodes' stats endpoint", lastUpdateTime: now, lastTransitionTime: now }] },
  } as KubeObject, "approval");
  for (let waited = 0; !signal.aborted && waited < 30_000; waited += 100) {
    const obj = await client.get<Csr>(csrs, undefined, name);
    const failed = obj.status?.conditions?.find((c) => c.type === "Failed" || c.type === "Denied");
    if (failed) throw new Error(`certificate request ${name} ${failed.type.toLowerCase()}: ${failed.message ?? ""}`);
    if (obj.status?.certificate) return { cert: Buffer.from(obj.status.certificate, "base64").toString("utf8"), key };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`certificate request ${name} was not signed within 30 s`);
}
