/** CertificateSigningRequests: the requester recorded by the server, approval apart from status. */
import type { CertificateSigningRequest, CertificateSigningRequestSpec } from "kubernetes-types/certificates/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const certificateSigningRequestStrategy: Strategy<Stored<CertificateSigningRequest>> = {
  // Who asked is recorded by the server, as upstream's strategy does; clients cannot choose it, nor a status.
  prepareForCreate(o, ctx) {
    o.spec ??= {} as CertificateSigningRequestSpec;
    o.spec.username = ctx.user.username;
    o.spec.groups = ctx.user.groups;
    if (ctx.user.uid) o.spec.uid = ctx.user.uid; else delete o.spec.uid;
    if (ctx.user.extra && Object.keys(ctx.user.extra).length) o.spec.extra = ctx.user.extra; else delete o.spec.extra;
    delete o.status;
  },
  fieldSelectors: ["spec.signerName"],
  subresourceUpdates: {
    // Approval writes only the conditions, as upstream.
    approval: { merge: (cur, input) => ({ ...cur, status: { ...(cur.status ?? {}), conditions: input.status?.conditions } }) },
  },
};
