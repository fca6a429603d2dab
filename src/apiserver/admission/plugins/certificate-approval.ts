/**
 * CertificateApproval, as upstream's plugin/pkg/admission/certificates/approval:
 * approving or denying a CSR (an update of certificatesigningrequests/approval)
 * takes the `approve` verb on the request's signer, so being able to write
 * CSRs is not enough to grant oneself a certificate.
 */
import type { CertificateSigningRequest } from "kubernetes-types/certificates/v1.js";
import type { Kube } from "../../../api/kube-object.js";
import type { AdmissionAttributes, AdmissionObject, AdmissionPlugin } from "../admission.js";
import type { Authorizer } from "../../authorization/authorizer.js";
import { admissionForbidden } from "./forbidden.js";
import { authorizedForSigner } from "./signer-authorization.js";

export interface CertificatePluginOptions { authorizer: Authorizer }

/** The object of a request isCsr admits, as its kind. */
export const csrOf = (o: AdmissionObject | undefined) => o as Kube<CertificateSigningRequest> | undefined;

export const isCsr = (a: AdmissionAttributes) => a.info.group === "certificates.k8s.io" && a.info.resource === "certificatesigningrequests";

export class CertificateApproval implements AdmissionPlugin {
  readonly name = "CertificateApproval";

  constructor(private readonly options: CertificatePluginOptions) {}

  validate(a: AdmissionAttributes): void {
    if (a.operation !== "UPDATE" || a.subresource !== "approval" || !isCsr(a)) return;
    const signerName = String(csrOf(a.object)?.spec?.signerName ?? "");
    if (!authorizedForSigner(this.options.authorizer, a.user, "approve", signerName)) {
      throw admissionForbidden(a, `user not permitted to approve requests with signerName "${signerName}"`);
    }
  }
}
