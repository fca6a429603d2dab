/**
 * Approves the serving certificates kubelets ask for when they join, as k3s
 * does for its agents (upstream leaves kubelet-serving requests to an admin
 * or a third-party approver): a request for kubernetes.io/kubelet-serving
 * from a node (group system:nodes) for `system:node:NAME` in `system:nodes`,
 * with server usages and only DNS names and IP addresses. Anything else waits
 * for `kubectl certificate approve` or `deny`.
 */
import { WorkQueue, type Informer } from "../../client/index.js";
import { describeRequest } from "../../pki/index.js";
import { type Controller, type ControllerContext, type Obj, runQueue } from "../controller.js";
import { KUBELET_SERVING, conditionOf, csrs, requestPem } from "./csr.js";

const SERVING_USAGES = new Set(["digital signature", "key encipherment", "server auth"]);

/** Why the approver will not approve a request on its own (undefined: it will). */
export function notAutoApprovable(csr: Obj): string | undefined {
  if (csr.spec?.signerName !== KUBELET_SERVING) return "not a kubelet serving certificate";
  if (!(csr.spec?.groups ?? []).includes("system:nodes")) return "not requested by a node";
  if (!(csr.spec?.usages ?? []).every((u: string) => SERVING_USAGES.has(u)) || !(csr.spec?.usages ?? []).includes("server auth")) return "usages other than serving";
  try {
    const req = describeRequest(requestPem(csr));
    if (!req.commonName?.startsWith("system:node:") || req.organizations.join() !== "system:nodes") return "subject is not system:node:NAME in system:nodes";
    if (!req.dnsNames.length && !req.ips.length) return "no DNS names or IP addresses";
  } catch (err) {
    return `unreadable request: ${(err as Error).message}`;
  }
  return undefined;
}

export class CsrApprover implements Controller {
  readonly name = "csrapproving";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private requests!: Informer<Obj>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.requests = ctx.informers.informer<Obj>(csrs);
    this.requests.addEventHandler({ add: (c) => this.queue.add(c.metadata.name!), update: (_o, c) => this.queue.add(c.metadata.name!) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "certificate signing request approval");
  }

  private async sync(name: string): Promise<void> {
    const csr = this.requests.get(name);
    if (!csr || conditionOf(csr, "Approved") || conditionOf(csr, "Denied") || notAutoApprovable(csr)) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const conditions = [...(csr.status?.conditions ?? []), {
      type: "Approved", status: "True", reason: "AutoApproved", message: "Auto approving kubelet serving certificate of a node that joined with the node token.",
      lastUpdateTime: now, lastTransitionTime: now,
    }];
    await this.ctx.client.update(csrs, undefined, { ...csr, status: { ...(csr.status ?? {}), conditions } }, "approval")
      .catch((err) => { const c = (err as { code?: number }).code; if (c === 409) this.queue.add(name); else if (c !== 404) throw err; });
  }
}
