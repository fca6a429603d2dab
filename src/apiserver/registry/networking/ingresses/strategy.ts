/** Ingresses: hosts, paths and backends validated, an empty load-balancer status on create. */
import type { Ingress } from "kubernetes-types/networking/v1.js";
import type { Stored, Strategy } from "../../strategy.js";
import { validateIngress } from "./validation.js";

export const ingressStrategy: Strategy<Stored<Ingress>> = {
  defaults(o) {
    for (const rule of o.spec?.rules ?? []) for (const path of rule.http?.paths ?? []) path.pathType ??= "ImplementationSpecific";
  },
  validate: validateIngress,
  prepareForCreate(o) { o.status = { loadBalancer: {} }; },
};
