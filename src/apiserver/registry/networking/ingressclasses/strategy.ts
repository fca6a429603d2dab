/** IngressClasses: listed with their controller and parameters. */
import type { IngressClass } from "kubernetes-types/networking/v1.js";
import { age, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";

const ingressClassTable = tablePrinter<Stored<IngressClass>>(
  [["Controller"], ["Parameters"], ["Age"]],
  (o, now) => [o.spec?.controller ?? "", none(o.spec?.parameters && `${o.spec.parameters.kind}/${o.spec.parameters.name}`), age(o.metadata.creationTimestamp, now)],
);

export const ingressClassStrategy: Strategy<Stored<IngressClass>> = {
  printer: ingressClassTable,
};
