/** Ingresses: an empty load-balancer status on create. */
import type { Ingress } from "kubernetes-types/networking/v1.js";
import type { Stored, Strategy } from "../../strategy.js";

export const ingressStrategy: Strategy<Stored<Ingress>> = {
  prepareForCreate(o) { o.status = { loadBalancer: {} }; },
};
