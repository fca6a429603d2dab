/**
 * Signs approved certificate requests of kubernetes.io/kubelet-serving with
 * the cluster CA (upstream's csrsigning controller; it runs where the CA key
 * is, in `skiff server`): status.certificate gets the PEM certificate, or a
 * Failed condition says why it could not be issued.
 */
import { WorkQueue, type Informer } from "../../client/index.js";
import { type Controller, type ControllerContext, type Obj, runQueue } from "../controller.js";
import { KUBELET_SERVING, conditionOf, csrs, requestPem } from "./csr.js";

export type Signer = (csrPem: string, usage: "server" | "client") => Promise<string>;

export class CsrSigner implements Controller {
  readonly name = "csrsigning";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private requests!: Informer<Obj>;

  constructor(private readonly sign: Signer) {}

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.requests = ctx.informers.informer<Obj>(csrs);
    this.requests.addEventHandler({ add: (c) => this.queue.add(c.metadata.name!), update: (_o, c) => this.queue.add(c.metadata.name!) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "certificate signing");
  }

  private async sync(name: string): Promise<void> {
    const csr = this.requests.get(name);
    if (!csr || csr.spec?.signerName !== KUBELET_SERVING || csr.status?.certificate) return;
    if (!conditionOf(csr, "Approved") || conditionOf(csr, "Denied") || conditionOf(csr, "Failed")) return;
    let status: Obj["status"];
    try {
      const pem = await this.sign(requestPem(csr), "server");
      status = { ...(csr.status ?? {}), certificate: Buffer.from(pem).toString("base64") };
    } catch (err) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      status = { ...(csr.status ?? {}), conditions: [...(csr.status?.conditions ?? []), { type: "Failed", status: "True", reason: "SignerValidationFailure", message: (err as Error).message, lastUpdateTime: now, lastTransitionTime: now }] };
    }
    await this.ctx.client.update(csrs, undefined, { ...csr, status }, "status")
      .catch((err) => { const c = (err as { code?: number }).code; if (c === 409) this.queue.add(name); else if (c !== 404) throw err; });
  }
}
