/** Ingresses: hosts, paths and backends validated, an empty load-balancer status on create. */
import type { Ingress } from "kubernetes-types/networking/v1.js";
import { age, none, tablePrinter } from "../../../../api/tables.js";
import type { Stored, Strategy } from "../../strategy.js";
import { validateIngress } from "./validation.js";

const ingressTable = tablePrinter<Stored<Ingress>>([["Class"], ["Hosts"], ["Address"], ["Ports"], ["Age"]], (o, now) => {
  const hosts = (o.spec?.rules ?? []).map((r) => r.host).filter(Boolean);
  const addr = (o.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname).join(",");
  return [none(o.spec?.ingressClassName), hosts.length ? hosts.join(",") : "*", addr, o.spec?.tls?.length ? "80, 443" : "80", age(o.metadata.creationTimestamp, now)];
});

export const ingressStrategy: Strategy<Stored<Ingress>> = {
  defaults(o) {
    for (const rule of o.spec?.rules ?? []) for (const path of rule.http?.paths ?? []) path.pathType ??= "ImplementationSpecific";
  },
  validate: validateIngress,
  printer: ingressTable,
  prepareForCreate(o) { o.status = { loadBalancer: {} }; },
};
