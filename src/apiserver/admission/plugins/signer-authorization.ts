/**
 * Whether a user may approve or sign for a signer, as upstream's
 * certificates.IsAuthorizedForSignerName: the verb on resource `signers` in
 * certificates.k8s.io named after the signer, or failing that `<domain>/*`.
 */
import type { UserInfo } from "../../authentication/user-info.js";
import type { Attributes, Authorizer } from "../../authorization/authorizer.js";

const signerAttributes = (user: UserInfo, verb: string, name: string): Attributes => ({
  user, verb, name, resourceRequest: true, path: "", apiGroup: "certificates.k8s.io", apiVersion: "*", resource: "signers", subresource: "", namespace: "",
});

export function authorizedForSigner(authorizer: Authorizer, user: UserInfo, verb: "approve" | "sign", signerName: string): boolean {
  if (authorizer.authorize(signerAttributes(user, verb, signerName)).decision === "Allow") return true;
  const domain = signerName.split("/")[0];
  return authorizer.authorize(signerAttributes(user, verb, `${domain}/*`)).decision === "Allow";
}
