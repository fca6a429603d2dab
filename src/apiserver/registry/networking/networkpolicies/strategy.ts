/** NetworkPolicies: policy types from the rules given, TCP ports by default. */
import type { NetworkPolicy, NetworkPolicySpec } from "kubernetes-types/networking/v1.js";
import { formatLabelSelector } from "../../../../api/selectors.js";
import { age, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const networkPolicyTable = tablePrinter<Stored<NetworkPolicy>>([["Pod-Selector"], ["Age"]], (o, now) => [formatLabelSelector(o.spec?.podSelector) || "<none>", age(o.metadata.creationTimestamp, now)]);

export const networkPolicyStrategy: Strategy<Stored<NetworkPolicy>> = {
  defaults(o) {
    const spec = (o.spec ??= {} as NetworkPolicySpec);
    if (!spec.policyTypes) spec.policyTypes = spec.egress ? ["Ingress", "Egress"] : ["Ingress"];
    for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) for (const p of rule.ports ?? []) p.protocol ??= "TCP";
  },
  printer: networkPolicyTable,
};
