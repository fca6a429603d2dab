/** Leases: leader election and node heartbeats write them with a PUT, created or not. */
import type { Lease } from "kubernetes-types/coordination/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const leaseTable = tablePrinter<Stored<Lease>>([["Holder"], ["Age"]], (o, now) => [o.spec?.holderIdentity ?? "", age(o.metadata.creationTimestamp, now)]);

export const leaseStrategy: Strategy<Stored<Lease>> = {
  allowCreateOnUpdate: true,
  printer: leaseTable,
};
