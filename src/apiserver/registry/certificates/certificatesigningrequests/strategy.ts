/** CertificateSigningRequests: the requester recorded by the server, approval apart from status. */
import type { CertificateSigningRequest, CertificateSigningRequestSpec } from "kubernetes-types/certificates/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

/** kubectl's CSR condition column: Approved or Denied (or Failed), then Issued once signed, else Pending. */
function csrCondition(o: Stored<CertificateSigningRequest>): string {
  const types = (o.status?.conditions ?? []).filter((c) => c.status !== "False").map((c) => String(c.type));
  if (o.status?.certificate) types.push("Issued");
  return types.length ? types.join(",") : "Pending";
}

const certificateSigningRequestTable = tablePrinter<Stored<CertificateSigningRequest>>(
  [["Age"], ["SignerName", "string"], ["Requestor", "string"], ["RequestedDuration", "string"], ["Condition", "string"]],
  (o, now) => [age(o.metadata.creationTimestamp, now), o.spec?.signerName ?? "", o.spec?.username ?? "", o.spec?.expirationSeconds ? `${Math.round(o.spec.expirationSeconds / 3600)}h` : "<none>", csrCondition(o)],
);

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
  printer: certificateSigningRequestTable,
  subresourceUpdates: {
    // Approval writes only the conditions, as upstream.
    // Approval writes the conditions (and metadata) only; /status cannot issue what was not approved, nor change the request.
    approval: { merge: (cur, input) => ({ ...cur, metadata: input.metadata ?? cur.metadata, status: { ...(cur.status ?? {}), conditions: input.status?.conditions } }) },
  },
};
