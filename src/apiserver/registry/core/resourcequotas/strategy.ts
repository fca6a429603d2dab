/** ResourceQuotas: listed with what is used of each limit, requests apart from limits. */
import type { ResourceQuota } from "kubernetes-types/core/v1.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const resourceQuotaTable = tablePrinter<Stored<ResourceQuota>>([["Age"], ["Request"], ["Limit"]], (o, now) => {
  const hard: Record<string, string> = o.status?.hard ?? o.spec?.hard ?? {};
  const used: Record<string, string> = o.status?.used ?? {};
  const fmt = (names: string[]) => names.sort().map((n) => `${n}: ${used[n] ?? "0"}/${hard[n]}`).join(", ");
  const names = Object.keys(hard);
  return [age(o.metadata.creationTimestamp, now), fmt(names.filter((n) => !n.startsWith("limits."))), fmt(names.filter((n) => n.startsWith("limits.")))];
});

export const resourceQuotaStrategy: Strategy<Stored<ResourceQuota>> = {
  printer: resourceQuotaTable,
};
