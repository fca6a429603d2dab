/**
 * CertificateSubjectRestriction, as upstream's
 * plugin/pkg/admission/certificates/subjectrestriction: no request to the
 * kube-apiserver-client signer may ask for group system:masters, the group
 * that RBAC cannot limit.
 */
import { describeRequest } from "../../../pki/index.js";
import type { AdmissionAttributes, AdmissionPlugin } from "../admission.js";
import { admissionForbidden } from "./forbidden.js";
import { csrOf, isCsr } from "./certificate-approval.js";

const KUBE_APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client";

export class CertificateSubjectRestriction implements AdmissionPlugin {
  readonly name = "CertificateSubjectRestriction";

  validate(a: AdmissionAttributes): void {
    if (a.operation !== "CREATE" || a.subresource !== "" || !isCsr(a)) return;
    const csr = csrOf(a.object);
    if (csr?.spec?.signerName !== KUBE_APISERVER_CLIENT) return;
    let organizations: string[];
    try {
      organizations = describeRequest(Buffer.from(String(csr.spec.request ?? ""), "base64").toString("utf8")).organizations;
    } catch (err) {
      throw admissionForbidden(a, `failed to parse CSR: ${(err as Error).message}`);
    }
    if (organizations.includes("system:masters")) {
      throw admissionForbidden(a, `use of ${KUBE_APISERVER_CLIENT} signer with system:masters group is not allowed`);
    }
  }
}
