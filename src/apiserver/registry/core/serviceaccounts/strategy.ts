/** ServiceAccounts: listed with their secrets; tokens from the token subresource. */
import type { ServiceAccount } from "kubernetes-types/core/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";
import { tokenSubresource } from "./token.js";

const serviceAccountTable = tablePrinter<Stored<ServiceAccount>>([["Secrets", "integer"], ["Age"]], (o, now) => [(o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)]);

export const serviceAccountStrategy: Strategy<Stored<ServiceAccount>> = {
  printer: serviceAccountTable,
  subresources: { token: tokenSubresource },
};
