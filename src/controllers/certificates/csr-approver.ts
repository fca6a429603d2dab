/**
 * Approves the certificates nodes ask for, as upstream's csrapproving
 * controller (pkg/controller/certificates/approver): a kubelet client
 * certificate (signer kubernetes.io/kube-apiserver-client-kubelet, subject
 * `system:node:NAME` in `system:nodes`, client usages, no alternative names)
 * is approved when a SubjectAccessReview says its requester may create
 * `certificatesigningrequests/selfnodeclient` (a node renewing its own: the
 * requester is the subject) or `certificatesigningrequests/nodeclient` (a
 * bootstrap token; the bootstrap policy gives that to system:bootstrappers).
 *
 * Kubelet serving certificates are approved too, as k3s does for its agents
 * (upstream leaves them to an admin or a third-party approver): signer
 * kubernetes.io/kubelet-serving, asked by the node itself (requester
 * `system:node:NAME` in system:nodes, the same name as the subject), server
 * usages and only DNS names and IP addresses. Anything else waits for
 * `kubectl certificate approve` or `deny`. So are a node's requests for the
 * client certificates of its in-process Service proxy (system:kube-proxy)
 * and cluster DNS (system:coredns), under the narrow rule of
 * notAutoApprovableNodeComponent.
 */
import { WorkQueue, type Informer } from "../../client/index.js";
import { describeRequest, isNodeComponentUser, NODE_COMPONENT_USERS } from "../../pki/index.js";
import { type Controller, type ControllerContext, type Kube, runQueue } from "../controller.js";
import type { CertificateSigningRequest } from "kubernetes-types/certificates/v1.js";
import type { SubjectAccessReview } from "kubernetes-types/authorization/v1.js";
import { KUBELET_CLIENT, KUBELET_SERVING, conditionOf, csrs, requestPem } from "./csr.js";

const KUBE_APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client";
const SERVING_USAGES = new Set(["digital signature", "key encipherment", "server auth"]);
const subjectAccessReviews = { group: "authorization.k8s.io", version: "v1", resource: "subjectaccessreviews", namespaced: false };

/** A CSR's request as the approver reads it. */
type Parsed = ReturnType<typeof describeRequest>;

const sameSet = (a: string[], b: string[]) => a.length === b.length && b.every((x) => a.includes(x));

/** Why a request is not a kubelet client certificate request (upstream's ValidateKubeletClientCSR), or undefined. */
export function notKubeletClient(csr: CertificateSigningRequest, req: Parsed): string | undefined {
  if (csr.spec?.signerName !== KUBELET_CLIENT) return "not a kubelet client certificate";
  if (req.organizations.length !== 1 || req.organizations[0] !== "system:nodes") return "subject organization is not system:nodes";
  if (req.dnsNames.length || req.ips.length) return "dnsNames, emailAddresses, ipAddresses and uris are not allowed";
  if (!req.commonName?.startsWith("system:node:")) return `subject common name does not begin with system:node:`;
  const usages = [...new Set<string>(csr.spec?.usages ?? [])];
  if (!sameSet(usages, ["digital signature", "key encipherment", "client auth"]) && !sameSet(usages, ["digital signature", "client auth"])) {
    return "usages did not match [client auth digital signature key encipherment]";
  }
  return undefined;
}

/** Why the approver will not approve a serving request on its own (undefined: it will). */
export function notAutoApprovableServing(csr: CertificateSigningRequest, req: Parsed): string | undefined {
  if (csr.spec?.signerName !== KUBELET_SERVING) return "not a kubelet serving certificate";
  if (!(csr.spec?.groups ?? []).includes("system:nodes")) return "not requested by a node";
  if (!(csr.spec?.usages ?? []).every((u) => SERVING_USAGES.has(u)) || !(csr.spec?.usages ?? []).includes("server auth")) return "usages other than serving";
  if (!req.commonName?.startsWith("system:node:") || req.organizations.join() !== "system:nodes") return "subject is not system:node:NAME in system:nodes";
  if (csr.spec?.username !== req.commonName) return "requested by another user than the subject";
  if (!req.dnsNames.length && !req.ips.length) return "no DNS names or IP addresses";
  return undefined;
}

/**
 * Why the approver will not approve a node's request for one of its
 * in-process components' client certificates on its own (undefined: it
 * will). Skiff's nodes run the Service proxy and the cluster DNS in-process,
 * where upstream runs them as pods with service accounts; a node asks for
 * their identities itself, once it is system:node:NAME, rather than being
 * handed them for its join token as k3s's join API does, so that the token
 * (which anyone joining holds) gives nothing but a node client certificate,
 * and each issued certificate stays visible and deniable as a CSR. The rule
 * is deliberately narrow, so that a node's credential leads to these roles
 * and nothing else: signer kubernetes.io/kube-apiserver-client, a subject
 * that is exactly `CN=<one of NODE_COMPONENT_USERS>` (no organization, so no
 * group, and no other attribute), no alternative names, client usages only,
 * and a requester that is a node (spec.username and spec.groups are set by
 * the API server from the requester's credential, not by the requester).
 * Anything else a node asks of this signer waits for a person.
 */
export function notAutoApprovableNodeComponent(csr: CertificateSigningRequest, req: Parsed): string | undefined {
  if (csr.spec?.signerName !== KUBE_APISERVER_CLIENT) return "not a kube-apiserver-client certificate";
  if (!isNodeComponentUser(req.commonName) || req.subject !== `CN=${req.commonName}`) return `subject is not exactly one of ${Object.values(NODE_COMPONENT_USERS).map((u) => `CN=${u}`).join(", ")}`;
  if (req.alternativeNames) return "alternative names are not allowed";
  if (!String(csr.spec?.username ?? "").startsWith("system:node:") || !(csr.spec?.groups ?? []).includes("system:nodes")) return "not requested by a node";
  const usages = [...new Set<string>(csr.spec?.usages ?? [])];
  if (!sameSet(usages, ["digital signature", "client auth"]) && !sameSet(usages, ["digital signature", "key encipherment", "client auth"])) return "usages other than client";
  return undefined;
}

/** The kinds of kubelet client request, in upstream's order, with the permission each needs. */
const RECOGNIZERS = [
  { subresource: "selfnodeclient", recognize: (csr: CertificateSigningRequest, req: Parsed) => csr.spec?.username === req.commonName && !notKubeletClient(csr, req),
    message: "Auto approving self kubelet client certificate after SubjectAccessReview." },
  { subresource: "nodeclient", recognize: (csr: CertificateSigningRequest, req: Parsed) => !notKubeletClient(csr, req),
    message: "Auto approving kubelet client certificate after SubjectAccessReview." },
];

/** The permissions a kubelet client request could be approved under, in the order they are tried. */
export function recognize(csr: CertificateSigningRequest, req: Parsed): { subresource: string; message: string }[] {
  return RECOGNIZERS.filter((r) => r.recognize(csr, req)).map(({ subresource, message }) => ({ subresource, message }));
}

/** Retry a recognised request the review refused: the bootstrap policy may not be in place yet. */
const RETRY_REFUSED_MS = 5000;

export class CsrApprover implements Controller {
  readonly name = "csrapproving";
  private readonly queue = new WorkQueue();
  private ctx!: ControllerContext;
  private requests!: Informer<Kube<CertificateSigningRequest>>;

  init(ctx: ControllerContext): void {
    this.ctx = ctx;
    this.requests = ctx.informers.informer<Kube<CertificateSigningRequest>>(csrs);
    this.requests.addEventHandler({ add: (c) => this.queue.add(c.metadata.name!), update: (_o, c) => this.queue.add(c.metadata.name!) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runQueue(this.queue, signal, 1, (key) => this.sync(key), this.ctx, "certificate signing request approval");
  }

  private async sync(name: string): Promise<number | void> {
    const csr = this.requests.get(name);
    if (!csr || csr.status?.certificate || conditionOf(csr, "Approved") || conditionOf(csr, "Denied")) return;
    let req: Parsed;
    try {
      req = describeRequest(requestPem(csr));
    } catch {
      return; // Unreadable: the signer fails it, a person denies it.
    }
    if (csr.spec?.signerName === KUBELET_SERVING) {
      if (!notAutoApprovableServing(csr, req)) await this.approve(csr, "Auto approving kubelet serving certificate of the node it names.");
      return;
    }
    if (!notAutoApprovableNodeComponent(csr, req)) return this.approve(csr, `Auto approving ${req.commonName} client certificate of node ${String(csr.spec?.username).slice("system:node:".length)}.`);
    const tried: string[] = [];
    for (const r of recognize(csr, req)) {
      tried.push(r.subresource);
      if (await this.allowed(csr, r.subresource)) return this.approve(csr, r.message);
    }
    if (tried.length) {
      this.ctx.log("recognized a kubelet client certificate request but the subject access review did not allow it", { csr: name, tried });
      return RETRY_REFUSED_MS;
    }
  }

  /** Asks the API server whether the requester may create certificatesigningrequests/<subresource>. */
  private async allowed(csr: CertificateSigningRequest, subresource: string): Promise<boolean> {
    const review = await this.ctx.client.create<Kube<SubjectAccessReview>>(subjectAccessReviews, undefined, {
      apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", metadata: {},
      spec: {
        user: csr.spec?.username, uid: csr.spec?.uid, groups: csr.spec?.groups, extra: csr.spec?.extra,
        resourceAttributes: { group: "certificates.k8s.io", version: "*", resource: "certificatesigningrequests", subresource, verb: "create" },
      },
    } satisfies SubjectAccessReview);
    return review.status?.allowed === true;
  }

  private async approve(csr: Kube<CertificateSigningRequest>, message: string): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const conditions = [...(csr.status?.conditions ?? []), { type: "Approved", status: "True", reason: "AutoApproved", message, lastUpdateTime: now, lastTransitionTime: now }];
    await this.ctx.client.update(csrs, undefined, { ...csr, status: { ...(csr.status ?? {}), conditions } }, "approval")
      .catch((err) => { const c = (err as { code?: number }).code; if (c === 409) this.queue.add(csr.metadata.name!); else if (c !== 404) throw err; });
  }
}
