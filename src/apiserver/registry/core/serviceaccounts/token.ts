/** serviceaccounts/token: a POST of a TokenRequest, answered by the server's issuer (token-request.ts). */
import { methodNotAllowed } from "../../../../api/errors.js";
import { sendJson, sendWarnings } from "../../../http.js";
import type { SubresourceHandler } from "../../subresource.js";

export const tokenSubresource: SubresourceHandler = async (call, { tokenRequests }) => {
  if (call.req.method !== "POST" || !tokenRequests) throw methodNotAllowed(call.req.method ?? "", `${call.info.resource}/token`);
  const body = await call.readObject();
  const out = await tokenRequests({ namespace: call.namespace!, name: call.name, body, user: call.user }, (w) => call.warnings.push(w));
  sendWarnings(call.res, call.warnings);
  sendJson(call.res, 201, out);
};
