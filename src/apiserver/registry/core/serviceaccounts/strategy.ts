/** ServiceAccounts: listed with their secrets. Tokens are issued by token-request.ts. */
import type { ServiceAccount } from "kubernetes-types/core/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const serviceAccountTable = tablePrinter<Stored<ServiceAccount>>([["Secrets", "integer"], ["Age"]], (o, now) => [(o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)]);

export const serviceAccountStrategy: Strategy<Stored<ServiceAccount>> = {
  printer: serviceAccountTable,
};
