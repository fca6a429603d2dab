/**
 * Signs approved certificate requests with the cluster CA, for upstream's
 * built-in signers (its csrsigning controller; it runs where the CA key is,
 * in `skiff server`): kubernetes.io/kube-apiserver-client (client
 * certificates for users), kubernetes.io/kube-apiserver-client-kubelet and
 * kubernetes.io/kubelet-serving (a node's client and serving certificates,
 * for `system:node:NAME` in `system:nodes`). status.certificate gets the PEM
 * certificate, or a Failed condition says why it could not be issued;
 * requests for other signers are left to them.
 */
import { WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";
import type { CertificateSigningRequest, CertificateSigningRequestStatus } from "kubernetes-types/certificates/v1.js";
import { describeRequest } from "../../pki/index.js";
import { KUBELET_SERVING, conditionOf, csrs, requestPem } from "./csr.js";

export type Signer = (csrPem: string, usage: "server" | "client", expirationSeconds?: number) => Promise<string>;

/** What each built-in signer issues, and the usages a request may ask of it. */
const SIGNERS: Record<string, { usage: "server" | "client"; required: string; allowed: string[]; nodeSubject: boolean }> = {
  "kubernetes.io/kube-apiserver-client": { usage: "client", required: "client auth", allowed: ["digital signature", "key encipherment", "client auth"], nodeSubject: false },
  "kubernetes.io/kube-apiserver-client-kubelet": { usage: "client", required: "client auth", allowed: ["digital signature", "key encipherment", "client auth"], nodeSubject: true },
  [KUBELET_SERVING]: { usage: "server", required: "server auth", allowed: ["digital signature", "key encipherment", "server auth"], nodeSubject: true },
};

/** Why a signer refuses a request (upstream's validation), or undefined. */
function refusal(csr: CertificateSigningRequest, signer: (typeof SIGNERS)[string]): string | undefined {
  const usages = csr.spec?.usages ?? [];
  if (!usages.includes(signer.required)) return `${csr.spec?.signerName} certificates need the usage "${signer.required}"`;
  const extra = usages.filter((u) => !signer.allowed.includes(u));
  if (extra.length) return `invalid usage for ${csr.spec?.signerName}: ${extra.join(", ")}`;
  if (signer.nodeSubject) {
    const req = describeRequest(requestPem(csr));
    if (!req.commonName?.startsWith("system:node:") || req.organizations.join() !== "system:nodes") return "subject must be system:node:NAME in organization system:nodes";
  }
  return undefined;
}

export class CsrSigner implements Controller {
  readonly name = "csrsigning";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private requests!: Informer<Kube<CertificateSigningRequest>>;

  constructor(private readonly sign: Signer) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.requests = ctx.informers.informer<Kube<CertificateSigningRequest>>(csrs);
    this.requests.addEventHandler({ add: (c) => this.queue.add(c.metadata.name!), update: (_o, c) => this.queue.add(c.metadata.name!) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "certificate signing");
  }

  private async sync(name: string): Promise<void> {
    const csr = this.requests.get(name);
    const signer = SIGNERS[String(csr?.spec?.signerName)];
    if (!csr || !signer || csr.status?.certificate) return;
    if (!conditionOf(csr, "Approved") || conditionOf(csr, "Denied") || conditionOf(csr, "Failed")) return;
    let status: CertificateSigningRequestStatus;
    try {
      const why = refusal(csr, signer);
      if (why) throw new Error(why);
      const pem = await this.sign(requestPem(csr), signer.usage, csr.spec?.expirationSeconds);
      status = { ...(csr.status ?? {}), certificate: Buffer.from(pem).toString("base64") };
    } catch (err) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      status = { ...(csr.status ?? {}), conditions: [...(csr.status?.conditions ?? []), { type: "Failed", status: "True", reason: "SignerValidationFailure", message: (err as Error).message, lastUpdateTime: now, lastTransitionTime: now }] };
    }
    await this.ctx.client.update(csrs, undefined, { ...csr, status }, "status")
      .catch((err) => { const c = (err as { code?: number }).code; if (c === 409) this.queue.add(name); else if (c !== 404) throw err; });
  }
}
