/**
 * CertificateSigning, as upstream's plugin/pkg/admission/certificates/signing:
 * setting or changing a CSR's status.certificate takes the `sign` verb on
 * the request's signer.
 */
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";
import { admissionForbidden } from "./forbidden.js";
import { csrOf, isCsr, type CertificatePluginOptions } from "./certificate-approval.js";
import { authorizedForSigner } from "./signer-authorization.js";

export class CertificateSigning implements AdmissionPlugin {
  readonly name = "CertificateSigning";

  constructor(private readonly options: CertificatePluginOptions) {}

  validate(a: AdmissionAttributes): void {
    if (a.operation !== "UPDATE" || a.subresource !== "status" || !isCsr(a)) return;
    const before = csrOf(a.oldObject)?.status?.certificate ?? "";
    const after = csrOf(a.object)?.status?.certificate ?? "";
    if (before === after) return;
    const signerName = String(csrOf(a.oldObject)?.spec?.signerName ?? csrOf(a.object)?.spec?.signerName ?? "");
    if (!authorizedForSigner(this.options.authorizer, a.user, "sign", signerName)) {
      throw admissionForbidden(a, `user not permitted to sign requests with signerName "${signerName}"`);
    }
  }
}
